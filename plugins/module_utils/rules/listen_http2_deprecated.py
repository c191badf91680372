# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import INFO, Rule


def check(model):
    for listen in model.listens():
        if listen.http2:
            yield (listen.directive,
                   "\"listen ... http2\" is deprecated since nginx 1.25.1",
                   "drop http2 from listen and add \"http2 on;\" to the server")


RULE = Rule(
    id="listen-http2-deprecated",
    severity=INFO,
    summary="listen ... http2 is deprecated since nginx 1.25.1; use http2 on;",
    why="""
        Since nginx 1.25.1 HTTP/2 is switched on per server with "http2 on;" and
        the listen parameter only earns a warning at start-up. Keep the
        parameter while you still run older nginx (1.22 in Debian 12); switch
        when every host runs 1.25.1 or later.
    """,
    bad="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080 http2;  # <-
                return 204;
            }
        }
    """,
    good="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080;
                http2 on;
                return 204;
            }
        }
    """,
    check=check,
)
