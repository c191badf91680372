# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import TREE, WARNING, Rule
from ansible_collections.preflight.nginx.plugins.module_utils.model import HTTP


def check(model):
    made_ssl = {}  # socket -> the first listen that says ssl on it
    for listen in model.listens():
        if listen.ssl and listen.socket and listen.server.protocol == HTTP:
            made_ssl.setdefault(listen.socket, listen)
    if not made_ssl:
        return
    for listen in model.listens():
        other = made_ssl.get(listen.socket)
        server = listen.server
        if other is None or listen.ssl or listen.implicit or server.protocol != HTTP \
                or server.has_certificate or server.rejects_handshake:
            continue
        yield (listen.directive,
               "listen %s has no ssl here, but %s:%s makes the socket ssl for every server on it; "
               "this server has no ssl_certificate, so its clients get the other server's certificate"
               % (listen.endpoint.display, other.directive.file, other.directive.line),
               "give this server its own ssl_certificate and ssl_certificate_key (and write ssl), "
               "or move it to another port")


RULE = Rule(
    id="shared-ssl-socket",
    severity=WARNING,
    scope=TREE,
    summary="A plain listen on a socket another server made ssl, with no certificate of its own.",
    why="""
        In nginx, ssl belongs to the socket (address and port), not to the
        server: when one server says "listen 443 ssl", every server on port 443
        speaks TLS, whether its own listen says ssl or not. A server there with
        no ssl_certificate of its own (nor one inherited from http) is still
        chosen by SNI, but the handshake keeps the default server's
        certificate: browsers show a name mismatch for every request to it.
        nginx -t says nothing unless that server is the socket's default.
    """,
    bad="""
        events {}
        http {
            server {
                listen 127.0.0.1:8443 ssl;
                server_name shop.example.com;
                ssl_certificate /etc/ssl/certs/shop.pem;
                ssl_certificate_key /etc/ssl/private/shop.key;
                return 204;
            }
            server {
                listen 127.0.0.1:8443;  # <-
                server_name blog.example.com;
                return 204;
            }
        }
    """,
    good="""
        events {}
        http {
            server {
                listen 127.0.0.1:8443 ssl;
                server_name shop.example.com;
                ssl_certificate /etc/ssl/certs/shop.pem;
                ssl_certificate_key /etc/ssl/private/shop.key;
                return 204;
            }
            server {
                listen 127.0.0.1:8443 ssl;
                server_name blog.example.com;
                ssl_certificate /etc/ssl/certs/blog.pem;
                ssl_certificate_key /etc/ssl/private/blog.key;
                return 204;
            }
        }
    """,
    check=check,
)
