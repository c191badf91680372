# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import DIRECTIVE, WARNING, Rule

RULE = Rule(
    id="invalid-suppression",
    severity=WARNING,
    scope=DIRECTIVE,
    summary="A '# preflight: ignore[...]' comment without a reason, or naming a rule that does not exist.",
    why="""
        A finding may be silenced on its line or the line above with
        "# preflight: ignore[rule-id] reason". The reason is what the next
        reader needs to trust the exception, so a suppression without one is
        reported (it still suppresses). So is a suppression naming a rule that
        does not exist, which usually hides nothing because of a typo.
    """,
    bad="""
        events {}
        http {
            # preflight: ignore[unused-upstream]  # <-
            upstream legacy {
                server 127.0.0.1:8082;
            }
        }
    """,
    good="""
        events {}
        http {
            # preflight: ignore[unused-upstream] kept for the rollback until 2027-01
            upstream legacy {
                server 127.0.0.1:8082;
            }
        }
    """,
)
