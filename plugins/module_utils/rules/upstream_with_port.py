# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import ERROR, FILE, Rule


def check(model):
    for target in model.passes:
        endpoint = target.endpoint
        if endpoint.kind != "name" or not endpoint.port_explicit or endpoint.has_variables:
            continue
        upstream = model.upstream(endpoint.host, target.protocol)
        if upstream is None:
            continue
        yield (target.directive,
               "%s: %s:%s names upstream %s (%s:%s) with a port, and nginx refuses that: upstream \"%s\" "
               "may not have port %s" % (target.directive.name, endpoint.host, endpoint.port, upstream.name,
                                         upstream.directive.file, upstream.directive.line, upstream.name,
                                         endpoint.port),
               "drop the port: the servers in upstream %s carry theirs" % upstream.name)


RULE = Rule(
    id="upstream-with-port",
    severity=ERROR,
    scope=FILE,
    summary="A *_pass names an upstream {} block with a port (proxy_pass http://app:8080 beside upstream app).",
    why="""
        A name with a port is not the upstream block of that name to nginx: it
        refuses the whole configuration ("upstream ... may not have port"), in
        whichever order the two are written, so the reload fails. The ports
        belong to the upstream's server lines; the pass names the block alone.
    """,
    bad="""
        events {}
        http {
            upstream payments {
                server 127.0.0.1:8081;
            }
            server {
                listen 127.0.0.1:8080;
                location / {
                    proxy_pass http://payments:8081;  # <-
                }
            }
        }
    """,
    good="""
        events {}
        http {
            upstream payments {
                server 127.0.0.1:8081;
            }
            server {
                listen 127.0.0.1:8080;
                location / {
                    proxy_pass http://payments;
                }
            }
        }
    """,
    check=check,
)
