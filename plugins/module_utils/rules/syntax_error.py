# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import DIRECTIVE, ERROR, Rule
from ansible_collections.preflight.nginx.plugins.module_utils.nginx_config import SYNTAX_ERROR

RULE = Rule(
    id=SYNTAX_ERROR,
    severity=ERROR,
    scope=DIRECTIVE,
    summary="The file cannot be parsed: a missing ';' or '}', an unexpected '}', or binary content.",
    why="""
        nginx refuses a file it cannot parse, and reports only the first error.
        A missing semicolon is the classic: the next line's "}" becomes an
        argument and the braces no longer match. Reported while loading, with
        the file and line, next to every other finding.
    """,
    bad="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080;
                location / {
                    proxy_pass http://127.0.0.1:8081  # <-
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
                    proxy_pass http://127.0.0.1:8081;
                }
            }
        }
    """,
)
