# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import ERROR, FILE, Rule
from ansible_collections.preflight.nginx.plugins.module_utils.model import is_unknown_upstream_candidate


def check(model):
    for target in model.passes:
        if not is_unknown_upstream_candidate(target):
            continue
        name = target.endpoint.host
        what = "%s: \"%s\" is not a defined upstream" % (target.directive.name, name)
        typo = model.upstream_typo(name, target.protocol)
        if typo:
            yield target.directive, what + "; it looks like a misspelling", "did you mean `%s`?" % typo
        elif model.fragment:
            continue  # another file may define it
        elif target.endpoint.port is None:
            yield (target.directive,
                   what + ", and as a host name it has no port: nginx refuses to start (\"no port in upstream\")",
                   "define upstream %s { server HOST:PORT; } or write %s:PORT" % (name, name))
        elif model.resolve_hosts and not model.host_resolves(name):
            yield (target.directive,
                   what + ", and the host name does not resolve here: nginx refuses to start "
                   "(\"host not found in upstream\")",
                   "define upstream %s {}, fix the name, or make it resolvable on this host" % name)


RULE = Rule(
    id="unknown-upstream",
    severity=ERROR,
    scope=FILE,
    summary="A *_pass names an upstream that is not defined and cannot work as a host name.",
    why="""
        A *_pass target without a port is first looked up among the upstream {}
        blocks; only when none has that name does nginx take it as a host name,
        resolved once at start-up. That is an error when the name is a
        misspelling of a defined upstream (the traffic goes to whatever the typo
        resolves to, or nginx refuses to start), when the directive has no
        default port (fastcgi_pass, uwsgi_pass, stream proxy_pass: "no port in
        upstream"), or, when the check runs on the host itself, when the name
        does not resolve there ("host not found in upstream"). A name that is
        none of these, such as a Compose or Kubernetes service, is reported by
        implicit-upstream instead.
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
