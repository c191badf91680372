# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.addresses import UNSPECIFIED
from ansible_collections.preflight.nginx.plugins.module_utils.findings import DIRECTIVE, ERROR, Rule


def check(model):
    return model.address_problems(UNSPECIFIED)


RULE = Rule(
    id=UNSPECIFIED,
    severity=ERROR,
    scope=DIRECTIVE,
    summary="A backend, *_pass target or resolver is the unspecified address (0, 0.0.0.0, [::]).",
    why="""
        0.0.0.0 and [::] mean "any address" when a server listens, but nobody can
        connect to them. nginx reads "0" the way the system resolver does, as
        0.0.0.0, and nginx -t accepts "server 0:80;" and "proxy_pass
        http://0:8082;" without a word. At run time Linux quietly connects to the
        local host instead, and every request fails with "connection refused"
        (or reaches the wrong service). This is the outage this collection was
        written for.
    """,
    bad="""
        events {}
        http {
            upstream storefront {
                server 0:80;  # <-
            }
            server {
                listen 127.0.0.1:8080;
                location / {
                    proxy_pass http://storefront;
                }
            }
        }
    """,
    good="""
        events {}
        http {
            upstream storefront {
                server 127.0.0.1:8081;
            }
            server {
                listen 127.0.0.1:8080;
                location / {
                    proxy_pass http://storefront;
                }
            }
        }
    """,
    check=check,
)
