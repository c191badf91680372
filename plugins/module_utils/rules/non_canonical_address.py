# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.addresses import NON_CANONICAL
from ansible_collections.preflight.nginx.plugins.module_utils.findings import DIRECTIVE, WARNING, Rule


def check(model):
    return model.address_problems(NON_CANONICAL)


RULE = Rule(
    id=NON_CANONICAL,
    severity=WARNING,
    scope=DIRECTIVE,
    summary="A numeric address in a short or odd form (0:80, 127.1, 010.0.0.1) that means something else.",
    why="""
        nginx only reads full dotted quads itself; anything else goes to the
        system resolver, which follows inet_aton: "0" is 0.0.0.0, "127.1" is
        127.0.0.1, and "010.0.0.1" is octal, 8.0.0.1. "listen 0:80" does listen
        on every address, but the same "0" copied into a backend address is the
        outage this collection exists for. Write the address nginx will use.
    """,
    bad="""
        events {}
        http {
            server {
                listen 0:8081;  # <-
                return 204;
            }
        }
    """,
    good="""
        events {}
        http {
            server {
                listen 8081;
                return 204;
            }
        }
    """,
    check=check,
)
