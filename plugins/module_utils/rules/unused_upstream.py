# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import INFO, Rule


def check(model):
    used = set()
    for target in model.passes:
        if target.upstream is not None:
            used.add(id(target.upstream))
        elif target.endpoint.host:
            used.update(id(u) for u in model.upstreams.get((target.protocol, target.endpoint.host.lower()), ()))
    for upstream in model.all_upstreams():
        # A name written anywhere else (set $backend app; map values) may be used through a variable.
        if id(upstream) not in used and not model.argument_used(upstream.name):
            yield (upstream.directive, "upstream \"%s\" is defined but never used" % upstream.name,
                   "remove it, or point a *_pass at it")


RULE = Rule(
    id="unused-upstream",
    severity=INFO,
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
