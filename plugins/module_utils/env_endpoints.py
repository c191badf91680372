# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Endpoint variables: read env files, pick the endpoint-like keys, judge the values.

Env files follow the common ground of systemd's EnvironmentFile=, Docker's
.env and /etc/default/*: comments (# or ;), an optional "export", single and
double quotes, and a backslash at the end of a line to continue it.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.preflight.nginx.plugins.module_utils import addresses

# Names that hold an address a client connects to (or a server binds).
DEFAULT_PATTERN = r"(?i)(^|_)(URL|URI|HOST|HOSTNAME|ADDR|ADDRESS|ENDPOINT|UPSTREAM|BACKEND|SERVER|PORT|DSN)$"
# What a value is for decides what is wrong with it. A server binds to 0.0.0.0 or :: ("every
# address"), and that is right; a client cannot connect there. The role is read off the name:
#   connect:   *_URL, *_URI, *_ENDPOINT, *_UPSTREAM, *_DSN, BACKEND*, or any URL value;
#   bind:      LISTEN/BIND names, *_URLS (ASP.NET's list of bind URLs), and HOST, *_HOST, *_ADDR,
#              *_ADDRESS, *_SERVER names (app_host, grafana_server_http_addr, consul_client_addr);
#   ambiguous: such a host name that also names a service clients use (DB_HOST, REDIS_HOST,
#              CACHE_HOST): a warning, not an error.
CONNECT, BIND, AMBIGUOUS = "connect", "bind", "ambiguous"
ROLES = (CONNECT, BIND, AMBIGUOUS)
_BIND_NAME = re.compile(r"(?i)(^|_)(LISTEN|BIND)(_|$)|(^|_)URLS$")
_CONNECT_NAME = re.compile(r"(?i)(^|_)(URL|URI|ENDPOINT|UPSTREAM|DSN)$|(^|_)BACKENDS?(_|$)")
_HOST_NAME = re.compile(r"(?i)(^|_)(HOST|HOSTNAME|ADDR|ADDRESS|SERVER|IP)$")
_CLIENT_SERVICE = re.compile(
    r"(?i)(^|_)(DB|DATABASE|REDIS|MYSQL|MARIADB|POSTGRES|POSTGRESQL|PG|MONGO|MONGODB|AMQP|RABBITMQ|KAFKA|"
    r"SMTP|MAIL|MEMCACHED|CACHE|LDAP|BROKER|REMOTE|PROXY|API|UPSTREAM|ORIGIN)(_|$)")
_PORT_NAME = re.compile(r"(?i)(^|_)PORT$")
_PORT_VALUE = re.compile(r"(?i)^[0-9]+([-:][0-9]+)?(/(tcp|udp|sctp))?$")  # 8080, 8080/tcp, 8000-8010
_SERIAL_NAME = re.compile(r"(?i)(^|_)(SERIAL|TTY|UART)(_|$)")
_DEVICE = re.compile(r"^(tty[A-Za-z]*[0-9]*|cu\.[\w.-]+|COM[0-9]+)$")
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$")
_PLACEHOLDER = re.compile(r"<[A-Za-z][^<>\s]*>")  # https://<your-domain>/
_MAIL_RELAY = re.compile(r"^\[([0-9.]+|[A-Za-z0-9-]*[A-Za-z][A-Za-z0-9.-]*)\](:[0-9]+)?$")
_URI = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(//)?")
_LOCAL_SCHEMES = {"file", "unix", "npipe", "ldapi", "sqlite", "sqlite3", "ipc", "inproc", "fd", "local"}
_WEB_SCHEMES = {"http", "https", "ws", "wss", "grpc", "grpcs", "ftp", "ftps"}
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_DOUBLE_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "$": "$", "`": "`"}


class EnvFileError(Exception):
    def __init__(self, path, line, message):
        Exception.__init__(self, "%s:%d: %s" % (path, line, message))
        self.path = path
        self.line = line
        self.message = message


def parse_env_text(text, path="<env>"):
    """[(key, value, line)] of an env file; raises EnvFileError at the first bad line."""
    entries = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        number = index + 1
        line = lines[index]
        index += 1
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith(("export ", "export\t")):
            stripped = stripped[len("export"):].lstrip()
        key, equals, rest = stripped.partition("=")
        key = key.strip()
        if not equals:
            raise EnvFileError(path, number, "expected KEY=value, got %r" % stripped[:60])
        if not _KEY.match(key):
            raise EnvFileError(path, number, "invalid variable name %r" % key)
        rest = rest.lstrip()
        value, index = _value(rest, lines, index, path, number)
        entries.append((key, value, number))
    return entries


def read_env_file(path):
    """[(key, value, line)] of the env file at ``path``; EnvFileError names the file and line."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError as exc:
        raise EnvFileError(path, 0, "cannot read: %s" % (exc.strerror or exc)) from exc
    return parse_env_text(text, path)


def read_env_files(paths):
    """The variables of several env files as a dict, later files winning."""
    variables = {}
    for path in paths:
        variables.update((key, value) for key, value, _line in read_env_file(path))
    return variables


def _value(rest, lines, index, path, number):
    """Read one value starting at ``rest``; returns (value, index of the next line)."""
    if rest[:1] in ("'", '"'):
        quote = rest[0]
        text = rest[1:]
        out = []
        while True:
            position = 0
            while position < len(text):
                char = text[position]
                if char == quote:
                    tail = text[position + 1:].strip()
                    if tail and not tail.startswith("#"):
                        raise EnvFileError(path, number, "unexpected text after the closing quote: %r" % tail[:40])
                    return "".join(out), index
                if char == "\\" and quote == '"' and position + 1 < len(text):
                    out.append(_DOUBLE_ESCAPES.get(text[position + 1], "\\" + text[position + 1]))
                    position += 2
                    continue
                if char == "\\" and quote == '"' and position + 1 == len(text):
                    position += 1  # an escaped newline joins the next line
                    break
                out.append(char)
                position += 1
            else:
                out.append("\n")
            if index >= len(lines):
                raise EnvFileError(path, number, "unterminated %s quote" % ("double" if quote == '"' else "single"))
            text = lines[index]
            index += 1
    value = rest
    while value.endswith("\\") and index < len(lines):
        value = value[:-1] + lines[index].strip()
        index += 1
    value = re.split(r"\s+#", value, maxsplit=1)[0]
    return value.strip(), index


def is_endpoint_key(key, pattern=DEFAULT_PATTERN, keys=None):
    if keys:
        return key in keys
    return re.search(pattern, key) is not None


def role(key, value):
    """connect, bind or ambiguous: what ``key`` holds, judged by its name and value (see above)."""
    if _BIND_NAME.search(key):
        return BIND
    if _CONNECT_NAME.search(key) or "://" in value:
        return CONNECT
    if _HOST_NAME.search(key):
        return AMBIGUOUS if _CLIENT_SERVICE.search(key) else BIND
    return CONNECT


def judge(key, value, value_role=None, required=False):
    """Problems of one endpoint variable (a list of dicts; empty when it is fine).

    Each problem has a ``severity``: ``error``, or ``warning`` where the value
    is wrong only if a client connects to it (an ambiguous name at 0.0.0.0).
    ``value_role`` forces the role (the gate's endpoints are connect targets).
    Values are judged, not their absence: an empty value (a role default the
    user sets later, or "off") is a problem only when ``required`` (the caller
    named the variable as an endpoint, as env_check ``keys`` and the gate do).
    A value that is plainly not a network address (see ``not_an_address``) is
    not judged.
    """
    value = "" if value is None else addresses.redact(str(value).strip())
    if "{{" in value or "{%" in value or "$" in value:
        return []  # known only when Jinja or the shell renders it
    if not value:
        if not required:
            return []
        return [_problem(addresses.MALFORMED_ADDRESS, "%s is empty" % key, "set it to a URL or host:port")]
    if value.lower().startswith("jdbc:"):
        value = value[5:]  # jdbc:postgresql://db:5432/app is a postgresql URL
    relay = _MAIL_RELAY.match(value)
    if relay:
        value = relay.group(1) + (relay.group(2) or "")  # Postfix's [mail.example.org]:587: no MX lookup
    if "," in value and not re.search(r"[?=\s]", value):
        # A list: Elasticsearch hosts, a libpq or MongoDB multi-host URL. Each part is judged.
        return [problem for part in value.split(",") if part.strip() for problem in judge(key, part, value_role)]
    if not_an_address(key, value):
        return []
    if _PORT_NAME.search(key):
        if value in ("0", "-1"):
            return []  # "off" (kubelet's read_only_port: 0, Jenkins' --httpPort=-1) or "any free port"
        numbers = re.findall(r"[0-9]+", value) if _PORT_VALUE.match(value) else []
        if not numbers or any(addresses.parse_port(number) is None for number in numbers):
            return [_problem(addresses.INVALID_PORT, "%s=%s is not a port (1-65535)" % (key, value),
                             "a port is a decimal number from 1 to 65535")]
        return []
    value_role = value_role or role(key, value)
    host_only = _HOST_NAME.search(key) is not None
    if value_role == BIND:
        problems = bind_problems(value, host_only)
    else:
        problems = [dict(p, severity="error") for p in target_problems(value, host_only)]
    for problem in problems:
        problem["message"] = re.sub(r"^(endpoint|listen): ", "%s: " % key, problem["message"])
        if value_role == AMBIGUOUS and problem["code"] in (addresses.UNSPECIFIED, addresses.NON_CANONICAL):
            problem["severity"] = "warning"
            problem["message"] = ("%s=%s: right if a server listens on it (every address), wrong if a client "
                                  "connects to it: %s" % (key, value, problem["message"].split(": ", 1)[-1]))
    return problems


def not_an_address(key, value):
    """Why the value of an endpoint-named variable is plainly no network address, or None.

    Names only suggest an endpoint; the value decides. Seen on public repositories:
    paths and nginx location regexes (``admin_uri: "/admin/|/api/"``, ``base_url: /``,
    ``conf_dir_host: /etc/app/conf.d``), serial devices (``zwave_serial_port: /dev/ttyUSB0``,
    ``console_serial_port: ttyS0``), a Bluetooth MAC address (``AA:BB:CC:DD:EE:FF``, not
    host:port), an interface address with its prefix (``lxc_net_address: 10.0.3.1/24``),
    ``scp``-style git remotes (``git@host:org/repo.git``) and URIs that name no network host
    (``qemu:///system``, ``unix:///run/docker.sock``, ``ldapi:///``, ``postgresql:///app``).
    """
    text = value.strip()
    if _PLACEHOLDER.search(text):
        return "a placeholder to fill in"
    if text[:1] in ("/", "~", "^") or text.startswith(("./", "../")):
        return "a path or a regular expression"
    if re.search(r"[|\\()\s]", text):
        return "a regular expression or a list, not one address"
    if _SERIAL_NAME.search(key) or _DEVICE.match(text):
        return "a serial device"
    if _MAC.match(text):
        return "a MAC address"
    if "/" not in text and re.match(r"^[\w.*%-]*[*%][\w.*%-]*$", text):
        return "a host pattern (MySQL's '%', '*.example.org')"
    if "/" in text and "://" not in text:
        try:
            ipaddress.ip_interface(text)
            return "an interface address or a network (CIDR)"
        except ValueError:
            pass
    if local_uri(text):
        return "a URI that names no network host"
    if "://" not in text and re.match(r"^[^:/\[\]]+:[^0-9:/]", text) and not addresses.is_ipv6(text):
        return "not host:port (the part after the colon is no port)"
    return None


def local_uri(text):
    """True for a URI that names no network host: a local scheme, or an empty host outside the web.

    ``file:``, ``unix:``, ``ldapi:``, ``sqlite:`` and ``*+unix`` schemes are local whatever
    they hold (ldapi's host is an encoded socket path). Elsewhere an empty host means the
    scheme's local default: libvirt's ``qemu:///system``, a PostgreSQL socket
    (``postgresql:///app``, ``postgresql://app@/app?host=/run/postgresql``). Only web URLs
    (http, https, ws, grpc, ftp) need a host: ``https:///path`` stays an error.
    """
    match = _URI.match(text)
    if not match or (not match.group(2) and match.group(1).lower() not in _LOCAL_SCHEMES - {"unix"}):
        return False  # host:port, or nginx's unix:/path (its length is checked as nginx would)
    scheme = match.group(1).lower()
    if scheme in _LOCAL_SCHEMES or scheme.endswith(("+unix", "+socket")) or scheme.startswith("unix+"):
        return True
    if scheme in _WEB_SCHEMES or scheme == "dns":
        return False  # gRPC's dns:///host:port names its host after the empty authority
    authority = re.split(r"[/?#]", text[match.end():], maxsplit=1)[0]
    return authority.rpartition("@")[2] == ""


def target_problems(value, host_only=False):
    """Problems of a value a client connects to (a URL, host:port or host); none for a local URI."""
    text = str(value).strip()
    if text.lower().startswith("jdbc:"):
        text = text[5:]
    if _PLACEHOLDER.search(text):
        return []  # <your_host>: to be filled in by whoever copies the example
    dns = re.match(r"(?i)^dns://[^/]*/([^/?#]+)", text)
    if dns:
        text = dns.group(1)  # gRPC name resolution: dns:///backend:50051
    if local_uri(text):
        return []
    if "://" not in text and "/" in text and not text.startswith("/") and not text.lower().startswith("unix:"):
        text = text.split("/", 1)[0]  # host:port/path without a scheme (curl reads it so): judge the host
    return addresses.endpoint_problems(text, host_only)


def bind_problems(value, host_only=False):
    """What is wrong with an address a server binds to: a bad port or a malformed address only.

    0.0.0.0, ::, [::]:80, :9000 (every address, port 9000) and 0 are all fine for a bind.
    ``host_only``: a bare number is a host (``APP_IP=0``), not a port.
    """
    text = value.strip()
    if _PLACEHOLDER.search(text):
        return []
    if host_only and text.replace(".", "").isdigit():
        text += ":1"  # judge the host; the port is not part of the value
    match = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text)
    if match:
        text = re.split(r"[/?#]", text[match.end():], maxsplit=1)[0]
    if text.startswith(":") and not text.startswith("::"):
        text = "*" + text  # Go's ":9000": every address
    if text.count(":") > 1 and not text.startswith("[") and addresses.is_ipv6(text):
        return []  # a bare IPv6 address (":: ", "fe80::1") is a host, not host:port
    endpoint = addresses.parse_listen(text)
    ignored = (addresses.UNSPECIFIED, addresses.NON_CANONICAL, addresses.MISSING_PORT)
    return [dict(p.as_dict(), severity="error") for p in endpoint.problems if p.code not in ignored]


def _problem(code, message, hint):
    return {"code": code, "message": message, "hint": hint, "severity": "error"}


def check_variables(items, pattern=DEFAULT_PATTERN, keys=None, select_all=False, value_role=None):
    """Judge (key, value, file, line) items; returns one result per endpoint key."""
    results = []
    for key, value, file, line in items:
        if not select_all and not is_endpoint_key(key, pattern, keys):
            continue
        problems = judge(key, value, value_role, required=bool(keys) or select_all or value_role is not None)
        results.append({"key": key, "value": value, "file": file, "line": line, "problems": problems})
    return results
