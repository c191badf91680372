# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import ERROR, TREE, Rule
from ansible_collections.preflight.nginx.plugins.module_utils.nginx_config import INCLUDE_ERROR

RULE = Rule(
    id=INCLUDE_ERROR,
    severity=ERROR,
    scope=TREE,
    summary="An include names a file that is missing or unreadable, a directory, or includes itself.",
    why="""
        An include without wildcards must name a readable file, or nginx refuses
        the configuration. Relative paths start at the directory of the main
        configuration file (whatever -p says), not at the including file, which
        is the usual reason a path that looks right is missing. A glob that matches
        nothing is fine, as it is for nginx.
    """,
    bad="""
        events {}
        http {
            include conf.d/upstreams.conf;  # <-
        }
    """,
    good="""
        events {}
        http {
            include conf.d/*.conf;
        }
    """,
)
