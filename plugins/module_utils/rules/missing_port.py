# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.addresses import MISSING_PORT
from ansible_collections.preflight.nginx.plugins.module_utils.findings import DIRECTIVE, ERROR, Rule


def check(model):
    return model.address_problems(MISSING_PORT)


RULE = Rule(
    id=MISSING_PORT,
    severity=ERROR,
    scope=DIRECTIVE,
    summary="fastcgi_pass, uwsgi_pass, scgi_pass, grpc_pass, memcached_pass or a stream address has no port.",
    why="""
        Only proxy_pass has a default port (80 for http://, 443 for https://) and
        only an http upstream server defaults to 80. The other *_pass directives,
        stream proxy_pass, and stream upstream servers and listen sockets need an
        explicit port, unless the name is an upstream {} block. Without one nginx
        stops with "no port in upstream".
    """,
    bad="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080;
                location /app/ {
                    fastcgi_pass 127.0.0.1;  # <-
                }
            }
        }
    """,
    good="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080;
                location /app/ {
                    fastcgi_pass 127.0.0.1:9000;
                }
            }
        }
    """,
    check=check,
)
