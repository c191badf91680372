# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a loaded configuration means: servers, sockets, upstreams, targets.

One pass over the directives builds everything the rules ask about, so that
every rule is a look-up over these lists and the whole check stays linear in
the size of the configuration.
"""

from __future__ import annotations

import dataclasses
import difflib
import socket

from ansible_collections.preflight.nginx.plugins.module_utils import addresses
from ansible_collections.preflight.nginx.plugins.module_utils.nginx_directives import (
    KNOWN_DIRECTIVES as _KNOWN,
)
from ansible_collections.preflight.nginx.plugins.module_utils.nginx_directives import (
    holds_values,
    is_known_directive,
)
from ansible_collections.preflight.nginx.plugins.module_utils.variables import VariableValues

HTTP = "http"
STREAM = "stream"
MAIL = "mail"
PROTOCOLS = (HTTP, STREAM, MAIL)


class Listen:
    """One ``listen`` (or the implicit ``*:80`` of a server without one)."""

    def __init__(self, directive, endpoint, params, server, implicit=False):
        self.directive = directive
        self.endpoint = endpoint
        self.params = params
        self.server = server
        self.implicit = implicit
        names = [p.split("=", 1)[0] for p in params]
        self.default_server = "default_server" in names or "default" in names
        self.ssl = "ssl" in names
        self.http2 = "http2" in names and server.protocol == HTTP
        # quic and udp sockets are UDP: they may share address:port with a TCP one.
        self.transport = "udp" if ("quic" in names or "udp" in names) else "tcp"

    @property
    def socket(self):
        """The socket key: equal keys are the same address, port and transport."""
        socket = self.endpoint.socket
        return None if socket is None else socket + ("/udp" if self.transport == "udp" else "")


class Server:
    """A ``server {}`` block in http, stream or mail."""

    def __init__(self, directive, protocol, scope):
        self.directive = directive
        self.protocol = protocol
        self.listens = []
        self.names = []
        self.has_certificate = scope["certificate"]
        self.rejects_handshake = scope["rejects_handshake"]


class Upstream:
    """An ``upstream name {}`` block and its servers."""

    def __init__(self, directive, protocol):
        self.directive = directive
        self.name = directive.args[0] if directive.args else ""
        self.protocol = protocol
        self.servers = []  # (directive, endpoint)


class PassTarget:
    """A ``*_pass`` directive and the place it sends requests to."""

    def __init__(self, directive, endpoint, protocol, server, scope):
        self.directive = directive
        self.endpoint = endpoint
        self.protocol = protocol
        self.server = server
        self.resolver_in_scope = scope["resolver"]
        self.sets_host_header = scope["host_header"]
        self.upstream = None  # the Upstream it names, if any
        # Every endpoint the target can become, with the assignments that make it
        # ([(endpoint, ())] for a literal target); None when there are too many to know.
        self.expansions = [(endpoint, ())]


class Model:
    """Everything the rules look at, built in one pass over the tree."""

    def __init__(self, config, protocol=None, nginx_version=None, resolve_hosts=False):
        """``protocol`` is the block the top level stands in (``http`` for a conf.d file).

        ``nginx_version`` is the (major, minor, patch) of the nginx that will run
        the configuration, or None when it is not known. ``resolve_hosts``: the
        check runs on the host nginx runs on, so host names may be looked up
        (True: with the system resolver; or a function of a name that says
        whether it resolves).
        """
        self.config = config
        self.nginx_version = nginx_version
        self.resolve_hosts = resolve_hosts
        self._resolved = {}
        self._pass_hosts_by_protocol = {}  # built on first use by upstream_typo
        self.variables = VariableValues()
        # (protocol, host, port) of the upstreams nginx makes itself from literal *_pass targets.
        self.implicit_upstreams = set()
        self.servers = []
        self.upstreams = {}  # (protocol, lower-case name) -> [Upstream]
        self.passes = []
        self.resolvers = []  # (directive, endpoint)
        self.address_uses = []  # (directive, endpoint): every address written
        self._problems_by_code = None
        self._arguments = None
        self._expansion_reports = set()
        self.unknown_directives = []  # directives stock nginx does not know, outside value blocks
        scope = _root_scope()
        scope["protocol"] = protocol or getattr(config, "protocol", None)
        self._walk(config.root, scope)
        self._link_passes()

    # --- look-ups used by rules ---------------------------------------------

    @property
    def fragment(self):
        """A file included somewhere else: what the rest of the tree defines is unknown here
        (upstreams, certificates and resolvers of the enclosing blocks, other servers)."""
        return getattr(self.config, "context", "main") != "main"

    def upstream(self, name, protocol):
        found = self.upstreams.get((protocol, name.lower()))
        return found[0] if found else None

    def upstream_names(self, protocol):
        return sorted(group[0].name for (group_protocol, name), group in self.upstreams.items()
                      if group_protocol == protocol)

    def upstream_typo(self, name, protocol):
        """The defined upstream ``name`` is most likely a misspelling of, or None."""
        known = {n.lower(): n for n in self.upstream_names(protocol)}
        close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.8)
        if close:
            return known[close[0]]
        # A short name is far from its upstream by difflib's ratio ("ux" and "u" are one key apart);
        # one edit away from an upstream nothing else refers to is a misspelling at any length.
        # A Compose service name beside an upstream that is used stays an implicit upstream.
        referred = self._pass_hosts(protocol)
        for lowered, upstream_name in sorted(known.items()):
            if _one_edit_apart(name.lower(), lowered) and lowered not in referred \
                    and not self.argument_used(upstream_name):
                return upstream_name
        return None

    def _pass_hosts(self, protocol):
        """The host names *_pass directives of ``protocol`` name literally, lower-cased."""
        if protocol not in self._pass_hosts_by_protocol:  # asked once per unknown name: build it once
            self._pass_hosts_by_protocol[protocol] = {
                target.endpoint.host.lower() for target in self.passes
                if target.protocol == protocol and target.endpoint is not None and target.endpoint.host}
        return self._pass_hosts_by_protocol[protocol]

    def host_resolves(self, name):
        """Whether this host's resolver knows ``name`` (asked once per name)."""
        if name not in self._resolved:
            lookup = self.resolve_hosts if callable(self.resolve_hosts) else system_resolves
            self._resolved[name] = bool(lookup(name))
        return self._resolved[name]

    def all_upstreams(self):
        for group in self.upstreams.values():
            yield from group

    def listens(self):
        for server in self.servers:
            yield from server.listens

    def address_problems(self, code):
        """(directive, message, hint) for every address problem of one kind."""
        if self._problems_by_code is None:
            self._problems_by_code = {}
            for directive, endpoint in self.address_uses:
                for problem in endpoint.problems:
                    self._problems_by_code.setdefault(problem.code, []).append(
                        (directive, problem.message, problem.hint))
        return iter(self._problems_by_code.get(code, ()))

    def argument_used(self, name):
        """True when ``name`` is written as an argument anywhere outside upstream blocks."""
        if self._arguments is None:  # built on first use: most configurations never ask
            self._arguments = {arg.lower() for directive in self.config.walk()
                               if directive.name != "upstream" and getattr(directive.parent, "name", "") != "upstream"
                               for arg in directive.args}
        return name.lower() in self._arguments

    # --- the walk -----------------------------------------------------------------

    def _walk(self, block_directive, scope):
        for directive in block_directive.block or ():
            name = directive.name
            known = name in _KNOWN or is_known_directive(name)
            if not known:
                self.unknown_directives.append(directive)
            if directive.block is None:
                self._directive(directive, name, scope)
                continue
            if holds_values(name) or not known:
                if name in _VALUE_BLOCKS and scope["protocol"] in (HTTP, STREAM):
                    self.variables.record(directive, scope["protocol"])
                continue  # their entries are values (or a module's own syntax), not directives
            inner = _enter(directive, scope)
            if name == "server" and scope["protocol"] in PROTOCOLS and scope["upstream"] is None:
                server = Server(directive, scope["protocol"], inner)
                inner["server"] = server
                self.servers.append(server)
                self._walk(directive, inner)
                if not server.listens and server.protocol == HTTP:
                    endpoint = addresses.parse_listen("80")
                    server.listens.append(Listen(directive, endpoint, [], server, implicit=True))
                continue
            if name == "upstream" and scope["protocol"] in (HTTP, STREAM):
                upstream = Upstream(directive, scope["protocol"])
                inner["upstream"] = upstream
                self.upstreams.setdefault((upstream.protocol, upstream.name.lower()), []).append(upstream)
            self._walk(directive, inner)

    def _directive(self, directive, name, scope):
        handler = self._HANDLERS.get(name)
        if handler is not None and directive.args:
            handler(self, directive, scope)

    def _listen(self, directive, scope):
        server = scope["server"]
        if server is not None:
            endpoint = addresses.parse_listen(directive.args[0], scope["protocol"])
            server.listens.append(Listen(directive, endpoint, directive.args[1:], server))
            self.address_uses.append((directive, endpoint))

    def _server_name(self, directive, scope):
        if scope["server"] is not None:
            scope["server"].names.extend(directive.args)

    def _upstream_server(self, directive, scope):
        if scope["upstream"] is not None:
            endpoint = addresses.parse_upstream_server(directive.args[0], scope["protocol"])
            scope["upstream"].servers.append((directive, endpoint))
            self.address_uses.append((directive, endpoint))

    def _resolver(self, directive, scope):
        for arg in directive.args:
            if "=" not in arg:
                endpoint = addresses.parse_resolver(arg)
                self.resolvers.append((directive, endpoint))
                self.address_uses.append((directive, endpoint))

    def _set(self, directive, scope):
        if scope["protocol"] in (HTTP, STREAM):
            self.variables.record(directive, scope["protocol"])

    def _pass(self, directive, scope):
        protocol = scope["protocol"]
        if protocol == HTTP or (protocol == STREAM and directive.name == "proxy_pass"):
            endpoint = addresses.parse_pass(directive.args[0], directive.name, protocol)
            self.passes.append(PassTarget(directive, endpoint, protocol, scope["server"], scope))

    _HANDLERS = dict(dict.fromkeys(addresses.PASS_DIRECTIVES, _pass), listen=_listen, server_name=_server_name,
                     server=_upstream_server, resolver=_resolver, set=_set)

    def _link_passes(self):
        """Match ``*_pass`` names to upstream blocks; only then is a port missing."""
        for target in self.passes:
            endpoint = target.endpoint
            if endpoint.kind == "name" and not endpoint.port_explicit:
                target.upstream = self.upstream(endpoint.host, target.protocol)
            if not endpoint.has_variables and target.upstream is None:
                self._missing_port(target, endpoint)
                if endpoint.kind == "name":
                    self.implicit_upstreams.add((target.protocol, endpoint.host.lower(), endpoint.port))
            self.address_uses.append((target.directive, endpoint))
        for target in self.passes:
            if target.endpoint.has_variables:
                self._expand(target)

    def _missing_port(self, target, endpoint):
        if endpoint.port is None and not endpoint.problems and endpoint.kind in ("name", "ipv4", "ipv6") \
                and not _is_bare_name(endpoint):
            endpoint.add(addresses.MISSING_PORT,
                         "%s: no port in \"%s\" and no upstream of that name"
                         % (target.directive.name, endpoint.raw),
                         "write %s:PORT, or define upstream %s {}" % (endpoint.raw, endpoint.host))

    def _expand(self, target):
        """Judge each value a target with variables can take, where the configuration sets them."""
        directive = target.directive
        texts = self.variables.expand(directive.args[0], target.protocol)
        if texts is None:
            target.expansions = None
            return
        target.expansions = []
        for text, assignments in texts:
            if not assignments:
                target.expansions.append((target.endpoint, ()))
                continue
            endpoint = addresses.parse_pass(text, directive.name, target.protocol)
            if not endpoint.has_variables and not (endpoint.kind == "name" and not endpoint.port_explicit
                                                   and self.upstream(endpoint.host, target.protocol)):
                self._missing_port(target, endpoint)
            target.expansions.append((endpoint, assignments))
            # An empty value is how a variable is cleared before an "if" fills it: not a target.
            if endpoint.problems and all(a.value for a in assignments):
                self._report_expansion(target, endpoint, assignments)

    def _report_expansion(self, target, endpoint, assignments):
        """Report a bad value at the line that writes it, naming the target that uses it."""
        where = target.directive
        first, others = assignments[0], assignments[1:]
        values = "$%s = \"%s\"" % (first.variable, first.value) + "".join(
            " and " + a.describe() for a in others)
        prefix = "%s makes \"%s\" (%s:%s) connect to \"%s\": " % (
            values, where.text(), where.file, where.line, endpoint.raw)
        problems = [addresses.Problem(p.code, prefix + p.message, p.hint) for p in endpoint.problems]
        key = (id(assignments[0].directive), tuple(p.code for p in problems), endpoint.raw)
        if key not in self._expansion_reports:
            self._expansion_reports.add(key)
            self.address_uses.append((assignments[0].directive, dataclasses.replace(endpoint, problems=problems)))

    def runtime_lookup(self, target):
        """What a target with variables makes nginx resolve per request, or None when nothing."""
        if target.expansions is None:
            return "a host taken from a variable"
        for endpoint, _assignments in target.expansions:
            if endpoint.problems or endpoint.kind in ("unix", "ipv4", "ipv6"):
                continue
            if endpoint.kind != "name":
                return "a host taken from a variable"
            if not endpoint.port_explicit and self.upstream(endpoint.host, target.protocol):
                continue
            if (target.protocol, endpoint.host.lower(), endpoint.port) in self.implicit_upstreams:
                continue
            return "the host name \"%s\"" % endpoint.host
        return None


def system_resolves(name):
    try:
        socket.getaddrinfo(name, None)
    except (OSError, UnicodeError):
        return False
    return True


def _is_bare_name(endpoint):
    """A single-label name without a port: nginx can only mean an upstream."""
    return (endpoint.kind == "name" and not endpoint.port_explicit
            and "." not in endpoint.host and endpoint.host.lower() != "localhost")


def is_unknown_upstream_candidate(target):
    return target.upstream is None and _is_bare_name(target.endpoint) and not target.endpoint.problems


# Blocks whose entries give values to a variable.
_VALUE_BLOCKS = frozenset(("map", "split_clients", "geo"))


def _root_scope():
    return {"protocol": None, "server": None, "upstream": None, "resolver": False,
            "certificate": False, "rejects_handshake": False, "host_header": False}


def _enter(directive, scope):
    """The scope inside a block: what it inherits and what it sets itself."""
    inner = dict(scope)
    if directive.name in PROTOCOLS and scope["protocol"] is None:
        inner["protocol"] = directive.name
    for child in directive.block:
        name = child.name
        if name == "resolver":
            inner["resolver"] = True
        elif name == "ssl_certificate":
            inner["certificate"] = True
        elif name == "ssl_reject_handshake" and child.args[:1] == ["on"]:
            inner["rejects_handshake"] = True
        elif name in ("proxy_set_header", "grpc_set_header") and child.args[:1] \
                and child.args[0].lower() == "host":
            inner["host_header"] = True
    return inner


def _one_edit_apart(a, b):
    """True when one insertion, deletion, substitution or swap of neighbours turns ``a`` into ``b``."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))
