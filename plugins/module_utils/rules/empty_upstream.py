# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import ERROR, FILE, Rule


def check(model):
    for upstream in model.all_upstreams():
        if not upstream.servers:
            yield (upstream.directive, "upstream \"%s\" has no servers" % upstream.name,
                   "add at least one \"server HOST:PORT;\" to it, or remove it")


RULE = Rule(
    id="empty-upstream",
    severity=ERROR,
    scope=FILE,
    summary="An upstream {} block has no server in it.",
    why="""
        An upstream without servers cannot take a request; nginx refuses it with
        "no servers are inside upstream". It usually means that the include or
        template that was meant to fill it produced nothing.
    """,
    bad="""
        events {}
        http {
            upstream app {  # <-
            }
            server {
                listen 127.0.0.1:8080;
                location / {
                    proxy_pass http://app;
                }
            }
        }
    """,
    good="""
        events {}
        http {
            upstream app {
                server 127.0.0.1:8081;
            }
            server {
                listen 127.0.0.1:8080;
                location / {
                    proxy_pass http://app;
                }
            }
        }
    """,
    check=check,
)
