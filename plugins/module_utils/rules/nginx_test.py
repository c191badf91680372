# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import ERROR, TREE, Rule

RULE = Rule(
    id="nginx-test",
    severity=ERROR,
    scope=TREE,
    summary="nginx -t itself rejects the configuration (run when nginx is installed and asked for).",
    why="""
        nginx knows checks no other tool repeats: directive values, module
        availability, certificates that fail to load, host names that do not
        resolve. When asked (--nginx-t, nginx_test: true), the real binary runs
        "nginx -t" on the same main file and its messages become findings with
        file and line, merged with the rest ([warn] lines as warnings).
    """,
    bad="""
        events {}
        http {
            client_max_body_size 10Q;  # <-
        }
    """,
    good="""
        events {}
        http {
            client_max_body_size 10m;
        }
    """,
    needs_nginx=True,
)
