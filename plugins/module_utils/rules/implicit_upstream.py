# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import INFO, TREE, Rule
from ansible_collections.preflight.nginx.plugins.module_utils.model import is_unknown_upstream_candidate


def check(model):
    for target in model.passes:
        if not is_unknown_upstream_candidate(target) or target.endpoint.port is None:
            continue
        name = target.endpoint.host
        if model.upstream_typo(name, target.protocol) or (model.resolve_hosts and not model.host_resolves(name)):
            continue  # unknown-upstream reports these
        yield (target.directive,
               "%s: \"%s\" is no upstream {} here, so nginx resolves it as a host name once at start-up "
               "and keeps that address until the next reload" % (target.directive.name, name),
               "fine for a Compose or Kubernetes service name; if the service's address can change, "
               "reload nginx when it does, or use a variable with a resolver")


RULE = Rule(
    id="implicit-upstream",
    severity=INFO,
    scope=TREE,
    summary="A *_pass host name that is no upstream {}: nginx resolves it once, at start-up.",
    why="""
        proxy_pass http://app/ with no upstream named app is how Compose and
        Kubernetes setups reach a service, and it works: nginx resolves the name
        when it loads the configuration (refusing to start if it cannot) and
        uses that address until the next reload. When the service moves (a
        container is recreated with a new address), nginx keeps sending traffic
        to the old one. This is information, not an error; a misspelt upstream
        name is reported by unknown-upstream.
    """,
    bad="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080;
                location / {
                    proxy_pass http://app/;  # <-
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
                    proxy_pass http://app/;
                }
            }
        }
    """,
    check=check,
)
