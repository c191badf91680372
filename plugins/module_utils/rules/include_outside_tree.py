# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reported by the loader (nginx_config.load): it needs the folder being checked and this machine's
files, so its bad example is checked at etc/nginx/nginx.conf of a scratch folder (tests/unit/test_rules.py)."""
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import TREE, WARNING, Rule
from ansible_collections.preflight.nginx.plugins.module_utils.nginx_config import INCLUDE_OUTSIDE_TREE

RULE = Rule(
    id=INCLUDE_OUTSIDE_TREE,
    severity=WARNING,
    scope=TREE,
    summary="An absolute include of a copied tree read this machine's files instead of the copy's.",
    why="""
        A repository copy of /etc/nginx (repo/etc/nginx) still names its files the way the
        real host does: include /etc/nginx/sites-enabled/*. Checked without --root, that
        include leaves the folder being checked and reads whatever this machine has at
        /etc/nginx, so a run on a CI runner with nginx installed checks the runner's
        default site and says nothing about the repository's. When the copy has the path
        itself (repo/etc/nginx/sites-enabled), the check reads it there, as --root repo
        would, and says so in a note; when it does not, or more than one folder could
        stand for /, the include gets this warning. Check the tree with --root, naming the
        folder that stands for /. A main file that is itself the live one
        (/etc/nginx/nginx.conf) is its own tree and never gets it.
    """,
    bad="""
        events {}
        http {
            include /etc/nginx/mime.types;  # <-
        }
    """,
    good="""
        events {}
        http {
            include conf.d/*.conf;
        }
    """,
    example_path="etc/nginx/nginx.conf",
    needs_host_file="/etc/nginx/mime.types",
)
