# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.addresses import INVALID_PORT
from ansible_collections.preflight.nginx.plugins.module_utils.findings import DIRECTIVE, ERROR, Rule


def check(model):
    return model.address_problems(INVALID_PORT)


RULE = Rule(
    id=INVALID_PORT,
    severity=ERROR,
    scope=DIRECTIVE,
    summary="A port is 0, above 65535, empty or not a number.",
    why="""
        nginx reads a port as decimal digits from 1 to 65535. Anything else is
        "invalid port" when the configuration loads, or, in a *_pass target
        written with variables, a failure on every request. A typo such as
        "80800" or an empty "127.0.0.1:" is caught here with the exact place.
    """,
    bad="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080;
                location / {
                    proxy_pass http://127.0.0.1:80800;  # <-
                }
            }
        }
    """,
    good="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080;
                location / {
                    proxy_pass http://127.0.0.1:8000;
                }
            }
        }
    """,
    check=check,
)
