# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import ERROR, FILE, Rule


def check(model):
    first = {}
    for listen in model.listens():
        socket = listen.socket
        if not listen.default_server or socket is None:
            continue
        key = (listen.server.protocol, socket)
        if key in first:
            earlier = first[key].directive
            yield (listen.directive,
                   "a duplicate default server for %s (the first is at %s:%s)"
                   % (listen.endpoint.display, earlier.file, earlier.line),
                   "keep default_server on one server per address:port")
        else:
            first[key] = listen


RULE = Rule(
    id="duplicate-default-server",
    severity=ERROR,
    scope=FILE,
    summary="Two servers claim default_server for the same address:port, in any files.",
    why="""
        Each address:port has one default server. nginx refuses a second one
        ("a duplicate default server"), and because the two are usually in
        different files of conf.d/, the clash appears only when both land on
        one host. This check sees the whole tree, so it names both places.
    """,
    bad="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080 default_server;
                return 204;
            }
            server {
                listen 127.0.0.1:8080 default_server;  # <-
                server_name other.example.com;
                return 204;
            }
        }
    """,
    good="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080 default_server;
                return 204;
            }
            server {
                listen 127.0.0.1:8080;
                server_name other.example.com;
                return 204;
            }
        }
    """,
    check=check,
)
