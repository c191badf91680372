# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import DIRECTIVE, WARNING, Rule
from ansible_collections.preflight.nginx.plugins.module_utils.nginx_config import INVALID_ENCODING

RULE = Rule(
    id=INVALID_ENCODING,
    severity=WARNING,
    scope=DIRECTIVE,
    summary="A configuration file is not valid UTF-8.",
    why="""
        nginx passes the bytes of its configuration through as they are, so a
        Latin-1 header value or comment works, but it reaches clients and logs
        in an encoding nobody expects, and editors and tools may mangle it on
        the next change. Reported with the line of the first bad byte.
    """,
    bad="""
        events {}
        http {
            add_header X-Motto "caf\udce9";  # <-
        }
    """,
    good="""
        events {}
        http {
            add_header X-Motto "cafe";
        }
    """,
)
