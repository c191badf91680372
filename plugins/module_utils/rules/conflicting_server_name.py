# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import FILE, WARNING, Rule


def check(model):
    first = {}
    for server in model.servers:
        if server.protocol != "http":
            continue
        sockets = {listen.socket for listen in server.listens} - {None}
        for name in server.names:
            if not name or name.startswith("~") or "$" in name:
                continue
            for socket in sorted(sockets):
                key = (socket, name.lower())
                if key in first and first[key] is not server:
                    earlier = first[key].directive
                    directive = next((d for d in server.directive.children("server_name") if name in d.args),
                                     server.directive)
                    yield (directive,
                           "conflicting server name \"%s\" on %s: nginx ignores this one and keeps the "
                           "server at %s:%s" % (name, socket, earlier.file, earlier.line),
                           "give each server its own name, or merge the two servers")
                    break
                first.setdefault(key, server)


RULE = Rule(
    id="conflicting-server-name",
    severity=WARNING,
    scope=FILE,
    summary="Two servers on the same address:port have the same server_name.",
    why="""
        nginx picks one of two servers with the same name on the same socket and
        ignores the other with only a warning at start-up ("conflicting server
        name ... ignored"). The requests then go to whichever file loaded first,
        which changes when files are renamed.
    """,
    bad="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080;
                server_name shop.example.com;
                return 204;
            }
            server {
                listen 127.0.0.1:8080;
                server_name shop.example.com;  # <-
                return 404;
            }
        }
    """,
    good="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080;
                server_name shop.example.com;
                return 204;
            }
            server {
                listen 127.0.0.1:8080;
                server_name www.shop.example.com;
                return 404;
            }
        }
    """,
    check=check,
)
