# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How nginx reads an address, and what is wrong with one.

Everything here follows nginx's own parser (``ngx_parse_url`` in
``src/core/ngx_inet.c``) and the system resolver it falls back to:

* ``unix:`` starts a socket path; ``[`` starts a bracketed IPv6 address;
  otherwise **the first colon starts the port**.
* A host that is not a plain dotted quad goes to ``getaddrinfo``, which reads
  numbers the way ``inet_aton`` does: ``0`` is ``0.0.0.0``, ``127.1`` is
  ``127.0.0.1``, ``010.0.0.1`` is ``8.0.0.1``.

The functions return an :class:`Endpoint` whose ``problems`` say, in nginx's
terms, what is wrong. Nothing here raises on bad input.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

# sun_path is 108 bytes on Linux, one of which is the terminating NUL.
UNIX_PATH_MAX = 107

# Problem codes. Each is reported by the rule of the same id.
INVALID_PORT = "invalid-port"
MALFORMED_ADDRESS = "malformed-address"
UNSPECIFIED = "unspecified-connect-address"
NON_CANONICAL = "non-canonical-address"
MISSING_PORT = "missing-port"

LISTEN = "listen"
CONNECT = "connect"
RESOLVER = "resolver"

_HTTP_DEFAULT_PORTS = {"http": 80, "https": 443}
# Ports a client assumes for a URL scheme (used for values outside nginx).
_URL_DEFAULT_PORTS = {
    "http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21,
    "grpc": 80, "grpcs": 443, "redis": 6379, "rediss": 6379,
    "postgres": 5432, "postgresql": 5432, "mysql": 3306, "amqp": 5672,
    "amqps": 5671, "mongodb": 27017, "ldap": 389, "ldaps": 636,
    "smtp": 25, "memcached": 11211, "nats": 4222, "kafka": 9092,
}
_NUMERIC_PART = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)$")
_NUMERIC_HOST = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)(?:\.(?:0[xX][0-9a-fA-F]*|[0-9]+))*$")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD = re.compile(r"^%s\.%s\.%s\.%s$" % (_OCTET, _OCTET, _OCTET, _OCTET))
_HOST_NAME = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?$")
_URI_VARIABLES = ("$request_uri", "$uri", "$document_uri", "$is_args")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an address: a rule id, a sentence, and a fix."""

    code: str
    message: str
    hint: str = ""

    def as_dict(self):
        return {"code": self.code, "message": self.message, "hint": self.hint}


@dataclass
class Endpoint:
    """An address as nginx will use it.

    ``kind`` is one of ``ipv4``, ``ipv6``, ``name``, ``wildcard``, ``unix``,
    ``variable`` (decided only at run time) or ``invalid``.
    """

    raw: str
    role: str
    kind: str = "invalid"
    scheme: str | None = None
    host: str | None = None
    address: str | None = None
    port: int | None = None
    port_range: tuple | None = None
    port_explicit: bool = False
    unix_path: str | None = None
    uri: str | None = None
    has_variables: bool = False
    problems: list = field(default_factory=list)

    @property
    def is_unspecified(self):
        if self.kind == "ipv4":
            return self.address == "0.0.0.0"
        return self.kind == "ipv6" and _is_unspecified(self.address)

    @property
    def is_ip(self):
        return self.kind in ("ipv4", "ipv6")

    @property
    def socket(self):
        """A key naming the socket: equal keys mean the same address:port."""
        if self.kind == "unix":
            return "unix:" + (self.unix_path or "")
        if self.port is None or self.kind in ("variable", "invalid"):
            return None
        if self.kind == "wildcard" or (self.kind == "ipv4" and self.address == "0.0.0.0"):
            return "*:%d" % self.port
        if self.kind == "ipv6":
            return "[%s]:%d" % (self.address, self.port)
        return "%s:%d" % ((self.address or self.host or "").lower(), self.port)

    @property
    def display(self):
        """The address the way nginx prints it (``0.0.0.0:80``, ``[::1]:80``)."""
        if self.kind == "unix":
            return "unix:" + (self.unix_path or "")
        host = self.address or self.host or ""
        if self.kind == "wildcard":
            host = "*"
        if self.kind == "ipv6":
            host = "[%s]" % host
        if self.port_range:
            return "%s:%d-%d" % (host, self.port_range[0], self.port_range[1])
        return host if self.port is None else "%s:%d" % (host, self.port)

    def add(self, code, message, hint=""):
        self.problems.append(Problem(code, message, hint))

    def as_dict(self):
        return {
            "value": self.raw, "kind": self.kind, "scheme": self.scheme,
            "host": self.host, "address": self.address, "port": self.port,
            "port_range": list(self.port_range) if self.port_range else None,
            "unix_path": self.unix_path, "uri": self.uri,
            "has_variables": self.has_variables,
            "problems": [p.as_dict() for p in self.problems],
        }


# --- numbers -----------------------------------------------------------------

def inet_aton(text):
    """Read ``text`` as glibc's ``inet_aton`` does; None when it is not numeric.

    Returns the address as an int. Accepts 1 to 4 parts, each decimal, octal
    (leading 0) or hex (0x); the last part fills the remaining bytes.
    """
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = []
    for part in parts:
        if not _NUMERIC_PART.match(part):
            return None
        try:
            if part[:2] in ("0x", "0X"):
                values.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part[0] == "0":
                values.append(int(part, 8))
            else:
                values.append(int(part, 10))
        except ValueError:  # "08": not an octal number
            return None
    last_bits = 8 * (5 - len(values))
    if any(v > 255 for v in values[:-1]) or values[-1] >= 1 << last_bits:
        return None
    number = values[-1]
    for index, value in enumerate(values[:-1]):
        number |= value << (24 - 8 * index)
    return number


def looks_numeric(host):
    """True when every dot-separated part is a number (so it is no host name)."""
    return bool(host) and _NUMERIC_HOST.match(host) is not None


def format_ipv4(number):
    return ".".join(str((number >> shift) & 255) for shift in (24, 16, 8, 0))


def _is_unspecified(address):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_unspecified


def parse_port(text):
    """nginx reads a port as decimal digits from 1 to 65535; None otherwise."""
    if not text or not text.isdigit() or not text.isascii():
        return None
    value = int(text)
    return value if 1 <= value <= 65535 else None


def _port_problem(ep, text, directive):
    if text == "":
        ep.add(INVALID_PORT, "%s: empty port after ':' in \"%s\"" % (directive, ep.raw),
               "write the port number after the colon, or drop the colon")
    elif text.isdigit() and text.isascii():
        ep.add(INVALID_PORT, "%s: port %s is out of range in \"%s\" (nginx accepts 1-65535)"
               % (directive, text, ep.raw), "use a port from 1 to 65535")
    else:
        ep.add(INVALID_PORT, "%s: invalid port \"%s\" in \"%s\"" % (directive, text, ep.raw),
               "a port is a decimal number from 1 to 65535")


# --- hosts -------------------------------------------------------------------

def _judge_host(ep, host, directive):
    """Fill kind/address of ``ep`` from a host written without brackets (and so without a colon)."""
    ep.host = host
    if "$" in host:
        ep.kind = "variable"
        ep.has_variables = True
        return
    if host == "":
        ep.add(MALFORMED_ADDRESS, "%s: no host in \"%s\"" % (directive, ep.raw),
               "write the address or host name before the port")
        return
    if "/" in host or "?" in host:
        ep.add(MALFORMED_ADDRESS, "%s: invalid host \"%s\"" % (directive, host),
               "a host is an address or a name; paths belong elsewhere")
        return
    if _DOTTED_QUAD.match(host):  # the common case, read by nginx itself
        ep.kind = "ipv4"
        ep.address = host
        return
    if looks_numeric(host):
        number = inet_aton(host)
        if number is None:
            ep.add(MALFORMED_ADDRESS,
                   "%s: \"%s\" is not a valid IPv4 address; nginx would look it up as a "
                   "host name and fail (\"host not found\")" % (directive, host),
                   "an IPv4 address is four numbers from 0 to 255, like 127.0.0.1")
            return
        ep.kind = "ipv4"
        ep.address = format_ipv4(number)
        return
    if not _HOST_NAME.match(host) or ".." in host:
        ep.add(MALFORMED_ADDRESS, "%s: invalid host name \"%s\"" % (directive, host),
               "a host name has letters, digits, '-' and '.' only")
        return
    ep.kind = "name"


def is_ipv6(text):
    """True when ``text`` is an IPv6 address written without brackets."""
    return _parses_as_ipv6(text)


def _parses_as_ipv6(text):
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _judge_bracketed(ep, text, directive):
    """Parse ``[v6]`` or ``[v6]:port``; returns the text after ``]`` or None."""
    end = text.find("]")
    if end < 0:
        ep.add(MALFORMED_ADDRESS, "%s: missing ']' in \"%s\"" % (directive, ep.raw),
               "write IPv6 addresses as [addr]:port")
        return None
    inside = text[1:end]
    ep.host = inside
    if not _parses_as_ipv6(inside):
        ep.add(MALFORMED_ADDRESS, "%s: invalid IPv6 address \"%s\"" % (directive, inside),
               "check the address: [::1]:8080 is the loopback address on port 8080")
        return None
    ep.kind = "ipv6"
    ep.address = str(ipaddress.IPv6Address(inside))
    rest = text[end + 1:]
    if rest and not rest.startswith(":"):
        ep.add(MALFORMED_ADDRESS, "%s: unexpected \"%s\" after \"]\" in \"%s\""
               % (directive, rest, ep.raw), "write [addr]:port")
        return None
    return rest


def _numeric_notes(ep, directive, role):
    """Problems that need a resolved address: unspecified and non-canonical."""
    if ep.kind != "ipv4" or ep.host is None:
        if ep.kind == "ipv6" and role != LISTEN and ep.is_unspecified:
            _unspecified(ep, directive)
        return
    if role != LISTEN and ep.is_unspecified:
        _unspecified(ep, directive)
    elif ep.host != ep.address:
        if role == LISTEN and ep.address == "0.0.0.0":
            meaning = "0.0.0.0, every IPv4 address"
            fix = "write \"*:{0}\" or just \"{0}\" so the intent is plain".format(ep.port or 80)
        else:
            meaning = ep.address
            fix = "write %s" % ep.address
        ep.add(NON_CANONICAL, "%s: \"%s\" is read as %s by the system resolver"
               % (directive, ep.host, meaning), fix)


def _unspecified(ep, directive):
    loop = "[::1]" if ep.kind == "ipv6" else "127.0.0.1"
    ep.add(UNSPECIFIED,
           "%s: \"%s\" is the unspecified address (%s); it is not a place a client can "
           "connect to: Linux silently connects to the local host, other systems refuse"
           % (directive, ep.host, ep.address),
           "connect to the backend's real address, or %s for this host" % loop)


# --- host[:port]: the sequence every address shares ------------------------------

# What an unbracketed IPv6 address is, where nginx's first-colon rule is not the whole story.
_BARE_IPV6_ADDRESS = "address"  # resolver reads "::1" as an address
_BARE_IPV6_REFUSED = "refused"  # a URL must bracket it: say so, not "invalid port"


def _host_and_port(ep, text, directive, star=False, bare_ipv6=None):
    """Judge the host of ``text`` into ``ep``; return what follows its colon (None: no port).

    nginx's order (ngx_parse_inet6_url, ngx_parse_inet_url): "[" starts an IPv6 address that
    ends at "]"; otherwise the first ":" starts the port, so "::1:8080" is an empty host and a
    port, never an IPv6 address. ``star``: listen's "*" is every address. ``bare_ipv6``: see
    above. The caller stops when ``ep`` has a problem or a host taken from a variable.
    """
    if text.startswith("["):
        rest = _judge_bracketed(ep, text, directive)
        return rest[1:] if rest else None
    if bare_ipv6 and text.count(":") > 1 and _parses_as_ipv6(text):
        if bare_ipv6 == _BARE_IPV6_REFUSED:
            ep.add(MALFORMED_ADDRESS, "%s: IPv6 address \"%s\" must be written in brackets" % (directive, text),
                   "write [%s] (with :port after the bracket)" % text)
        else:
            ep.kind, ep.host, ep.address = "ipv6", text, str(ipaddress.IPv6Address(text))
        return None
    host, colon, port_text = text.partition(":")
    if star and host == "*":
        ep.kind, ep.host = "wildcard", "*"
    else:
        _judge_host(ep, host, directive)
    return port_text if colon else None


def _read_port(ep, text, directive):
    """Set the port written after the colon; False (the problem recorded) when nginx refuses it."""
    ep.port_explicit = True
    ep.port = parse_port(text)
    if ep.port is None:
        _port_problem(ep, text, directive)
    return ep.port is not None


def _done(ep):
    """Nothing more to judge: a problem found, or a host nginx only knows at run time."""
    return bool(ep.problems) or ep.kind == "variable"


def _is_unix(text):
    return text[:5].lower() == "unix:"


def _unix(ep, path, directive):
    ep.kind = "unix"
    ep.unix_path = path
    if not path:
        ep.add(MALFORMED_ADDRESS, "%s: no path in the unix domain socket \"%s\"" % (directive, ep.raw),
               "write unix:/path/to/socket")
    elif len(path.encode("utf-8", "replace")) > UNIX_PATH_MAX:
        ep.add(MALFORMED_ADDRESS, "%s: unix socket path is too long (%d bytes, at most %d)"
               % (directive, len(path.encode("utf-8", "replace")), UNIX_PATH_MAX),
               "use a shorter path, e.g. under /run")
    return ep


# --- listen ------------------------------------------------------------------

def parse_listen(value, protocol="http", directive="listen"):
    """Parse the address argument of ``listen`` (http, stream or mail)."""
    ep = Endpoint(raw=value, role=LISTEN)
    if "$" in value:
        ep.add(MALFORMED_ADDRESS, "%s: variables are not allowed in \"%s\"" % (directive, value),
               "listen takes a literal address")
        return ep
    if _is_unix(value):
        return _unix(ep, value[5:], directive)
    if _is_port_text(value):  # "8080", "8000-8010": a port on every address
        ep.kind = "wildcard"
        port_text = value
    else:
        port_text = _host_and_port(ep, value, directive, star=True)
        if _done(ep):
            return ep
    if port_text is None:
        if protocol == "http":
            ep.port = 80
        else:
            ep.add(MISSING_PORT, "%s: no port in \"%s\" (%s listen needs one)"
                   % (directive, value, protocol), "write address:port")
    else:
        low, dash, high = port_text.partition("-")
        if dash and parse_port(low) and parse_port(high):  # a range: listen alone takes one
            ep.port_explicit = True
            if int(low) > int(high):
                ep.add(INVALID_PORT, "%s: port range %s is reversed" % (directive, port_text),
                       "write the smaller port first: %s-%s" % (high, low))
            ep.port = int(low)
            ep.port_range = (int(low), int(high))
        else:
            _read_port(ep, port_text, directive)
    # A bad port does not hide how the host is read: both are worth fixing.
    _numeric_notes(ep, directive, LISTEN)
    return ep


def _is_port_text(value):
    low, dash, high = value.partition("-")
    return low.isdigit() and (not dash or high.isdigit())


# --- connect targets -----------------------------------------------------------

# directive -> (allowed schemes or None for "no scheme", scheme required, default port by scheme)
_PASS_SCHEMES = {
    "proxy_pass": (("http", "https"), True),
    "grpc_pass": (("grpc", "grpcs"), False),
    "uwsgi_pass": (("uwsgi", "suwsgi"), False),
    "fastcgi_pass": ((), False),
    "scgi_pass": ((), False),
    "memcached_pass": ((), False),
}
PASS_DIRECTIVES = tuple(_PASS_SCHEMES)


def parse_pass(value, directive="proxy_pass", protocol="http"):
    """Parse the target of ``proxy_pass`` and its siblings.

    The endpoint's ``port`` is None when nginx would take the name as an
    ``upstream {}`` reference first (a host without a port); ``port_required``
    in the result dict tells whether such a name needs an upstream block.
    """
    ep = Endpoint(raw=value, role=CONNECT)
    if "$" in value:
        ep.has_variables = True
    schemes, required = _PASS_SCHEMES.get(directive, ((), False))
    if directive == "proxy_pass" and protocol == "stream":
        schemes, required = (), False
    if not required and _is_unix(value):
        # nginx looks for "unix:" before any scheme: "unix:///run/app.sock" is the path "///run/app.sock".
        return _unix(ep, value[5:], directive)
    rest = value
    match = _SCHEME.match(value)
    if not match and required and ep.has_variables and _could_start_url(value[:value.index("$")], schemes):
        # "http:/$uri": a variable supplies the rest of the URL at run time.
        ep.kind = "variable"
        return ep
    if match:
        scheme = match.group(1).lower()
        if scheme not in schemes:
            expected = (" or ".join("%s://" % s for s in schemes) if schemes
                        else "host:port, unix:/path or an upstream name")
            ep.add(MALFORMED_ADDRESS, "%s: invalid URL prefix in \"%s\"" % (directive, value),
                   "%s takes %s" % (directive, expected))
            return ep
        ep.scheme = scheme
        rest = value[match.end():]
    elif required and not value.startswith("$"):
        ep.add(MALFORMED_ADDRESS, "%s: invalid URL prefix in \"%s\"" % (directive, value),
               "write http://%s" % value)
        return ep
    if value.startswith("$") and not match:
        ep.kind = "variable"
        return ep
    if _is_unix(rest):
        path = rest[5:]
        if directive == "proxy_pass" and protocol == "http":
            path = path.split(":", 1)[0]  # unix:/run/app.sock:/uri
        return _unix(ep, path, directive)
    authority = re.split(r"[/?]", rest, maxsplit=1)[0]
    for variable in _URI_VARIABLES:
        # "http://app$request_uri": these variables always start the URI, so the host is literal.
        if variable in authority and authority.index(variable) == authority.find("$"):
            authority = authority[:authority.index(variable)]
            break
    if len(authority) < len(rest):
        if directive != "proxy_pass" or protocol != "http":
            ep.add(MALFORMED_ADDRESS, "%s: invalid host \"%s\" (a URI is not allowed here)"
                   % (directive, rest), "write host:port")
            return ep
        ep.uri = rest[len(authority):]
    port_text = _host_and_port(ep, authority, directive)
    if _done(ep):
        return ep
    if port_text is None:
        ep.port = _HTTP_DEFAULT_PORTS.get(ep.scheme)  # the other *_pass have no default port
    elif "$" in port_text:
        ep.port_explicit = True  # only the port waits for run time: the literal host is still judged
    elif not _read_port(ep, port_text, directive):
        return ep
    _numeric_notes(ep, directive, CONNECT)
    return ep


def _could_start_url(prefix, schemes):
    """True when a variable after ``prefix`` can still complete ``scheme://``."""
    return any(("%s://" % scheme).startswith(prefix.lower()) for scheme in schemes)


def parse_upstream_server(value, protocol="http"):
    """Parse the address of a ``server`` inside ``upstream {}``."""
    ep = Endpoint(raw=value, role=CONNECT)
    directive = "upstream server"
    if "$" in value:
        ep.add(MALFORMED_ADDRESS, "%s: variables are not allowed in \"%s\"" % (directive, value),
               "write a literal host[:port]")
        return ep
    if _is_unix(value):
        return _unix(ep, value[5:], directive)
    port_text = _host_and_port(ep, value, directive)
    if _done(ep):
        return ep
    if port_text is None:
        if protocol != "http":
            ep.add(MISSING_PORT, "%s: no port in \"%s\" (stream upstream servers need one)"
                   % (directive, value), "write host:port")
            return ep
        ep.port = 80
    elif not _read_port(ep, port_text, directive):
        return ep
    _numeric_notes(ep, directive, CONNECT)
    return ep


def parse_resolver(value):
    """Parse one address argument of ``resolver`` (default port 53)."""
    ep = Endpoint(raw=value, role=RESOLVER)
    directive = "resolver"
    # resolver is the one directive that takes a bare IPv6 address.
    port_text = _host_and_port(ep, value, directive, bare_ipv6=_BARE_IPV6_ADDRESS)
    if _done(ep):
        return ep
    if port_text is None:
        ep.port = 53
    elif not _read_port(ep, port_text, directive):
        return ep
    _numeric_notes(ep, directive, RESOLVER)
    return ep


# --- values from outside nginx (URLs, host:port, environment) -----------------------

def parse_endpoint(value, host_only=False):
    """Parse a URL, ``host:port``, ``[v6]:port`` or host a client will connect to.

    Used for values outside nginx configs: health-check URLs, environment
    variables, inventory. A bare host without a port is accepted; a bare
    number is a port (``PORT=8080``), or a host with ``host_only`` (``DB_HOST=0``).
    """
    ep = Endpoint(raw=str(value), role=CONNECT)
    text = str(value).strip()
    directive = "endpoint"
    if not text:
        ep.add(MALFORMED_ADDRESS, "endpoint: empty value", "give a URL or host:port")
        return ep
    if "$" in text or "{{" in text:
        ep.kind = "variable"
        ep.has_variables = True
        return ep
    match = _SCHEME.match(text)
    rest = text
    if match:
        ep.scheme = match.group(1).lower()
        rest = text[match.end():]
        if _is_unix(rest):
            return _unix(ep, rest[5:].split(":", 1)[0], directive)
    elif _is_unix(text):
        return _unix(ep, text[5:], directive)
    elif text.isdigit() and not host_only:
        # A bare number is a port on the local host (e.g. PORT=8080).
        ep.kind = "port"
        _read_port(ep, text, directive)
        return ep
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    ep.uri = rest[len(authority):] or None
    authority = authority.rpartition("@")[2]
    port_text = _host_and_port(ep, authority, directive, bare_ipv6=_BARE_IPV6_REFUSED)
    if _done(ep):
        return ep
    if port_text is None:
        ep.port = _URL_DEFAULT_PORTS.get(ep.scheme)  # a client's default for the scheme, if it has one
    elif not _read_port(ep, port_text, directive):
        return ep
    _numeric_notes(ep, directive, CONNECT)
    return ep


_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@")


def redact(value):
    """``value`` with a URL's user and password replaced by ``***`` (for every message and log)."""
    return _USERINFO.sub(r"\1***@", str(value))


def endpoint_problems(value, host_only=False):
    """The problems of a value a client would connect to (empty list: fine)."""
    return [p.as_dict() for p in parse_endpoint(value, host_only).problems]


def listen_problems(value, protocol="http"):
    return [p.as_dict() for p in parse_listen(str(value), protocol).problems]
