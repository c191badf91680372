# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import difflib

from ansible_collections.preflight.nginx.plugins.module_utils.findings import FILE, WARNING, Rule
from ansible_collections.preflight.nginx.plugins.module_utils.nginx_directives import known_directives


def check(model):
    known = None
    for directive in model.unknown_directives:
        if known is None:
            known = known_directives()
        close = difflib.get_close_matches(directive.name, known, n=1, cutoff=0.8)
        hint = ("did you mean \"%s\"?" % close[0]) if close else \
            "if a third-party module provides it, ignore this rule for it"
        yield (directive, "unknown directive \"%s\"" % directive.name, hint)


RULE = Rule(
    id="unknown-directive",
    severity=WARNING,
    scope=FILE,
    summary="A directive stock nginx does not know, often a typo (proxy_passs).",
    why="""
        nginx refuses a configuration with an unknown directive, so a typo stops
        the reload. The list used here is nginx's own, up to current mainline
        (http2, quic and the other modern directives included). Directives of
        third-party modules (lua, headers-more, ...) are reported too, as
        warnings: ignore the rule where such a module is installed.
    """,
    bad="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080;
                location / {
                    proxy_passs http://127.0.0.1:8081;  # <-
                }
            }
        }
    """,
    good="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080;
                http2 on;
                location / {
                    proxy_pass http://127.0.0.1:8081;
                }
            }
        }
    """,
    check=check,
)
