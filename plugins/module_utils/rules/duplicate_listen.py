# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import ERROR, FILE, Rule


def check(model):
    for server in model.servers:
        seen = {}
        for listen in server.listens:
            socket = listen.socket
            if socket is None or listen.implicit:
                continue
            if socket in seen:
                yield (listen.directive,
                       "a duplicate listen %s in one server (already at line %s)"
                       % (listen.endpoint.display, seen[socket].directive.line),
                       "remove one of the two listen directives")
            else:
                seen[socket] = listen


RULE = Rule(
    id="duplicate-listen",
    severity=ERROR,
    scope=FILE,
    summary="The same address:port is listed twice in one server.",
    why="""
        nginx refuses a server that listens twice on the same socket ("a
        duplicate listen"). Forms that look different can be the same socket:
        "80", "*:80", "0.0.0.0:80" and "0:80" are one and the same.
    """,
    bad="""
        events {}
        http {
            server {
                listen 8080;
                listen 0.0.0.0:8080;  # <-
                return 204;
            }
        }
    """,
    good="""
        events {}
        http {
            server {
                listen 8080;
                listen [::]:8080;
                return 204;
            }
        }
    """,
    check=check,
)
