# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.addresses import MALFORMED_ADDRESS
from ansible_collections.preflight.nginx.plugins.module_utils.findings import DIRECTIVE, ERROR, Rule


def check(model):
    return model.address_problems(MALFORMED_ADDRESS)


RULE = Rule(
    id=MALFORMED_ADDRESS,
    severity=ERROR,
    scope=DIRECTIVE,
    summary="An address nginx cannot read: a bad IPv4 or IPv6 address, an unbracketed IPv6 with a port, a bad URL.",
    why="""
        nginx takes the first colon of an address as the start of the port, so
        an IPv6 address must be written in brackets ("[::1]:8080"). An IPv4
        address with an octet above 255, such as 127.0.0.256, is not an address
        at all: nginx hands it to the resolver as a host name and fails. A
        proxy_pass without "http://" or "https://", or a socket path that is
        empty or longer than the 107 bytes Linux allows, fails the same way.
    """,
    bad="""
        events {}
        http {
            upstream app {
                server 127.0.0.256:8080;  # <-
            }
            server {
                listen 127.0.0.1:8080;
                location / {
                    proxy_pass http://app;
                }
            }
        }
    """,
    good="""
        events {}
        http {
            upstream app {
                server 127.0.0.1:8081;
                server [::1]:8081;
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
