# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a loaded configuration means: servers, sockets, upstreams, targets.

One pass over the directives builds everything the rules ask about, so that
every rule is a look-up over these lists and the whole check stays linear in
the size of the configuration.
"""

from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils import addresses

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


class Model:
    """Everything the rules look at, built in one pass over the tree."""

    def __init__(self, config, protocol=None):
        """``protocol`` is the block the top level stands in (``http`` for a conf.d file)."""
        self.config = config
        self.servers = []
        self.upstreams = {}  # (protocol, lower-case name) -> [Upstream]
        self.passes = []
        self.resolvers = []  # (directive, endpoint)
        self.address_uses = []  # (directive, endpoint): every address written
        self._problems_by_code = None
        self._arguments = None
        scope = _root_scope()
        scope["protocol"] = protocol
        self._walk(config.root, scope)
        self._link_passes()

    # --- look-ups used by rules ---------------------------------------------

    def upstream(self, name, protocol):
        found = self.upstreams.get((protocol, name.lower()))
        return found[0] if found else None

    def upstream_names(self, protocol):
        return sorted(group[0].name for (group_protocol, name), group in self.upstreams.items()
                      if group_protocol == protocol)

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
            if directive.block is None:
                self._directive(directive, name, scope)
                continue
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

    def _pass(self, directive, scope):
        protocol = scope["protocol"]
        if protocol == HTTP or (protocol == STREAM and directive.name == "proxy_pass"):
            endpoint = addresses.parse_pass(directive.args[0], directive.name, protocol)
            self.passes.append(PassTarget(directive, endpoint, protocol, scope["server"], scope))

    _HANDLERS = dict(dict.fromkeys(addresses.PASS_DIRECTIVES, _pass), listen=_listen, server_name=_server_name,
                     server=_upstream_server, resolver=_resolver)

    def _link_passes(self):
        """Match ``*_pass`` names to upstream blocks; only then is a port missing."""
        for target in self.passes:
            endpoint = target.endpoint
            if endpoint.kind == "name" and not endpoint.port_explicit:
                target.upstream = self.upstream(endpoint.host, target.protocol)
            if target.upstream is None and endpoint.port is None and not endpoint.problems \
                    and endpoint.kind in ("name", "ipv4", "ipv6") and not _is_bare_name(endpoint):
                endpoint.add(addresses.MISSING_PORT,
                             "%s: no port in \"%s\" and no upstream of that name"
                             % (target.directive.name, endpoint.raw),
                             "write %s:PORT, or define upstream %s {}" % (endpoint.raw, endpoint.host))
            self.address_uses.append((target.directive, endpoint))


def _is_bare_name(endpoint):
    """A single-label name without a port: nginx can only mean an upstream."""
    return (endpoint.kind == "name" and not endpoint.port_explicit
            and "." not in endpoint.host and endpoint.host.lower() != "localhost")


def is_unknown_upstream_candidate(target):
    return target.upstream is None and _is_bare_name(target.endpoint) and not target.endpoint.problems


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
