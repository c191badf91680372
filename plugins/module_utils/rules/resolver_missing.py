# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import TREE, WARNING, Rule


def check(model):
    for target in model.passes:
        if not target.endpoint.has_variables or target.resolver_in_scope:
            continue
        what = model.runtime_lookup(target)
        if what is None:
            continue  # every value is an address, a socket or an upstream nginx already knows
        yield (target.directive,
               "%s uses %s, so nginx resolves it per request, and no resolver is in scope: "
               "requests fail with \"no resolver defined to resolve\"" % (target.directive.name, what),
               "add \"resolver 127.0.0.53 valid=30s;\" (your DNS server) to the server or http block")


RULE = Rule(
    id="resolver-missing",
    severity=WARNING,
    scope=TREE,
    summary="A *_pass with variables resolves its host per request, but no resolver is set.",
    why="""
        When a *_pass contains variables, nginx evaluates it per request, and a
        host name that is not an upstream {} block must then be resolved with
        the "resolver" directive. Without one, nginx -t passes, the site starts,
        and every such request fails with 502 and "no resolver defined to
        resolve" in the error log. The values that set, map, split_clients and
        geo give a variable are followed: a variable that only ever holds an IP
        address, a unix socket, an upstream {} name or a host:port nginx already
        made an upstream of (from a literal *_pass) needs no resolver.
    """,
    bad="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080;
                location / {
                    set $backend "app.internal.example";
                    proxy_pass http://$backend:8081;  # <-
                }
            }
        }
    """,
    good="""
        events {}
        http {
            resolver 127.0.0.53 valid=30s;
            server {
                listen 127.0.0.1:8080;
                location / {
                    set $backend "app.internal.example";
                    proxy_pass http://$backend:8081;
                }
            }
        }
    """,
    check=check,
)
