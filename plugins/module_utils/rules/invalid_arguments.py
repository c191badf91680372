# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import ERROR, FILE, Rule
from ansible_collections.preflight.nginx.plugins.module_utils.nginx_config import INVALID_ARGUMENTS

RULE = Rule(
    id=INVALID_ARGUMENTS,
    severity=ERROR,
    scope=FILE,
    summary="A directive has the wrong number of arguments, or a flag that is not on/off.",
    why="""
        nginx checks how many arguments each directive takes and refuses the
        whole configuration when one is wrong ("invalid number of arguments").
        Catching it here names the file and line together with every other
        problem, instead of one at a time. Reported while loading, from
        crossplane's table of nginx directives.
    """,
    bad="""
        user;  # <-
        events {}
        http {}
    """,
    good="""
        user www-data;
        events {}
        http {}
    """,
)
