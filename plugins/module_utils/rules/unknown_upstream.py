# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import difflib

from ansible_collections.preflight.nginx.plugins.module_utils.findings import ERROR, Rule
from ansible_collections.preflight.nginx.plugins.module_utils.model import is_unknown_upstream_candidate


def check(model):
    for target in model.passes:
        if not is_unknown_upstream_candidate(target):
            continue
        name = target.endpoint.host
        known = model.upstream_names(target.protocol)
        close = difflib.get_close_matches(name.lower(), [k.lower() for k in known], n=1, cutoff=0.6)
        if close:
            suggestion = next((k for k in known if k.lower() == close[0]), close[0])
            hint = "did you mean `%s`?" % suggestion
        elif known:
            hint = "defined upstreams: %s" % ", ".join(known)
        else:
            hint = "define upstream %s { server HOST:PORT; } or write host:port" % name
        yield (target.directive,
               "%s: \"%s\" is not a defined upstream; nginx would look it up as a host name"
               % (target.directive.name, name), hint)


RULE = Rule(
    id="unknown-upstream",
    severity=ERROR,
    summary="A *_pass names an upstream that is not defined (with a did-you-mean).",
    why="""
        A *_pass target without dots and without a port can only mean an
        upstream {} block. When no block has that name, nginx treats it as a
        host name and resolves it once at start-up: a typo in an upstream name
        either stops nginx ("host not found in upstream") or, worse, resolves to
        some other machine in the search domain.
    """,
    bad="""
        events {}
        http {
            upstream storefront {
                server 127.0.0.1:8081;
            }
            server {
                listen 127.0.0.1:8080;
                location / {
                    proxy_pass http://storefornt;  # <-
                }
                location /shop/ {
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
