# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import ERROR, TREE, Rule


def check(model):
    for listen in model.listens():
        server = listen.server
        if listen.ssl and not server.has_certificate and not server.rejects_handshake:
            yield (listen.directive,
                   "listen %s ssl, but no ssl_certificate is defined for this server"
                   % listen.endpoint.display,
                   "add ssl_certificate and ssl_certificate_key to the server (or to %s {})"
                   % server.protocol)


RULE = Rule(
    id="ssl-without-certificate",
    severity=ERROR,
    scope=TREE,
    summary="A listen socket has ssl but no ssl_certificate is in scope.",
    why="""
        A TLS socket needs a certificate in its server or inherited from the
        enclosing http, stream or mail block. Without one nginx refuses to start
        ("no ssl_certificate is defined for the listen ... ssl directive"), unless
        the server only rejects handshakes (ssl_reject_handshake on).
    """,
    bad="""
        events {}
        http {
            server {
                listen 127.0.0.1:8443 ssl;  # <-
                return 204;
            }
        }
    """,
    good="""
        events {}
        http {
            ssl_certificate /etc/ssl/certs/site.pem;
            ssl_certificate_key /etc/ssl/private/site.key;
            server {
                listen 127.0.0.1:8443 ssl;
                return 204;
            }
        }
    """,
    check=check,
)
