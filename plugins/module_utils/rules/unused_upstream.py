# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import INFO, TREE, Rule


def check(model):
    used = set()
    open_protocols = set()  # a target whose host nobody can know might reach any upstream
    for target in model.passes:
        for endpoint, _assignments in target.expansions or ((None, ()),):
            if endpoint is None or endpoint.kind == "variable":
                open_protocols.add(target.protocol)
            elif endpoint.host:
                used.update(id(u) for u in model.upstreams.get((target.protocol, endpoint.host.lower()), ()))
    for upstream in model.all_upstreams():
        # A name written anywhere else (set $backend app; map values) may be used through a variable.
        if id(upstream) not in used and upstream.protocol not in open_protocols \
                and not model.argument_used(upstream.name):
            yield (upstream.directive, "upstream \"%s\" is defined but never used" % upstream.name,
                   "remove it, or point a *_pass at it")


RULE = Rule(
    id="unused-upstream",
    severity=INFO,
    scope=TREE,
    summary="An upstream {} block that no *_pass refers to.",
    why="""
        An upstream that nothing uses is often the sign of a rename that went
        half-way: the new name is defined, the *_pass still points at the old
        one (or the other way round). Names that appear anywhere else in the
        configuration, for example in a map or a set used through a variable,
        count as used.
    """,
    bad="""
        events {}
        http {
            upstream legacy {  # <-
                server 127.0.0.1:8082;
            }
            server {
                listen 127.0.0.1:8080;
                return 204;
            }
        }
    """,
    good="""
        events {}
        http {
            upstream app {
                server 127.0.0.1:8082;
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
