# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import DIRECTIVE, WARNING, Rule

_LOOPBACK_V4 = "127."


def _reaches(listen, target):
    """True when connecting to ``target`` lands on the ``listen`` socket."""
    if listen.port is None or target.port != listen.port:
        return False
    if listen.kind == "wildcard" or (listen.kind == "ipv4" and listen.address == "0.0.0.0"):
        return (target.kind == "ipv4" and target.address.startswith(_LOOPBACK_V4)) or \
            (target.kind == "name" and target.host.lower() == "localhost")
    if listen.kind == "ipv6" and listen.address == "::":
        return target.kind == "ipv6" and target.address == "::1"
    if listen.kind in ("ipv4", "ipv6"):
        return target.address == listen.address
    return listen.kind == "name" and target.host is not None and listen.host.lower() == target.host.lower()


def check(model):
    for target in model.passes:
        if target.server is None or target.sets_host_header:
            continue
        members = [target.endpoint]
        if target.upstream is not None:
            members = [endpoint for directive, endpoint in target.upstream.servers]
        for member in members:
            listen = next((lst for lst in target.server.listens if _reaches(lst.endpoint, member)), None)
            if listen is not None:
                yield (target.directive,
                       "%s sends requests to %s, which is this server's own listen socket (%s): a proxy loop"
                       % (target.directive.name, member.display, listen.endpoint.display),
                       "point it at the backend's address; if the loop is meant, set the Host header "
                       "to route it to another server")
                break


RULE = Rule(
    id="proxy-loop",
    severity=WARNING,
    scope=DIRECTIVE,
    summary="A *_pass sends requests back to a socket the same server listens on.",
    why="""
        A proxy_pass to the server's own address and port sends each request to
        itself until nginx runs out of connections or workers ("worker
        connections are not enough"), and the site stops answering. This
        happens when a backend port is mistyped as the front-end port. Loops
        that are meant to route to another server block set a Host header, and
        are left alone.
    """,
    bad="""
        events {}
        http {
            server {
                listen 8080;
                location / {
                    proxy_pass http://127.0.0.1:8080;  # <-
                }
            }
        }
    """,
    good="""
        events {}
        http {
            server {
                listen 8080;
                location / {
                    proxy_pass http://127.0.0.1:8081;
                }
            }
        }
    """,
    check=check,
)
