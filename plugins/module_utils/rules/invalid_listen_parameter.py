# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import difflib

from ansible_collections.preflight.nginx.plugins.module_utils.findings import DIRECTIVE, ERROR, Rule

_SOCKET = ("backlog=", "rcvbuf=", "sndbuf=", "accept_filter=", "deferred", "bind", "ipv6only=",
           "reuseport", "so_keepalive=", "fastopen=", "setfib=", "multipath")
# Parameters nginx accepts after the address, per protocol ("x=" takes a value).
PARAMETERS = {
    "http": _SOCKET + ("default_server", "default", "ssl", "http2", "quic", "proxy_protocol"),
    "stream": _SOCKET + ("default_server", "ssl", "udp", "proxy_protocol"),
    "mail": _SOCKET + ("ssl", "proxy_protocol"),
}


def _problem(param, protocol):
    name, equals, value = param.partition("=")
    allowed = PARAMETERS[protocol]
    if name + equals in allowed:
        if equals and value == "":
            return "listen parameter \"%s\" has no value" % param, "write %s<value>" % param
        if name == "ipv6only" and value not in ("on", "off"):
            return "ipv6only must be on or off, not \"%s\"" % value, "write ipv6only=on or ipv6only=off"
        return None
    if name + "=" in allowed or (not equals and name in allowed):
        fix = "%s=<value>" % name if name + "=" in allowed else name
        return "listen parameter \"%s\" is written wrongly" % param, "write %s" % fix
    names = sorted({a.rstrip("=") for a in allowed})
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = "did you mean \"%s\"?" % close[0] if close else "%s listen takes: %s" % (protocol, ", ".join(names))
    return "invalid %s listen parameter \"%s\"" % (protocol, param), hint


def check(model):
    for listen in model.listens():
        for param in listen.params:
            found = _problem(param, listen.server.protocol)
            if found:
                yield listen.directive, found[0], found[1]


RULE = Rule(
    id="invalid-listen-parameter",
    severity=ERROR,
    scope=DIRECTIVE,
    summary="A listen parameter nginx does not know (a typo such as defualt_server) or one without its value.",
    why="""
        nginx refuses to start on an unknown listen parameter ("invalid
        parameter"). The parameters differ between http, stream and mail
        ("udp" exists only in stream, "http2" only in http), so a line copied
        from one block to another fails too. This rule knows each protocol's
        list and suggests the closest name.
    """,
    bad="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080 defualt_server;  # <-
                return 204;
            }
        }
    """,
    good="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080 default_server reuseport backlog=511;
                return 204;
            }
        }
    """,
    check=check,
)
