# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests over the preflight.nginx engine (documented in the sidecar .yml files)."""

from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils import addresses


def connectable(value):
    """True when a client can connect to this URL or host:port."""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return False
    endpoint = addresses.parse_endpoint(str(value))
    return bool(not endpoint.problems and endpoint.kind not in ("variable", "invalid"))


def valid_listen(value, protocol="http"):
    """True when nginx accepts this as the address of listen, without surprises."""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return False
    return not addresses.parse_listen(str(value), protocol).problems


class TestModule:
    def tests(self):
        return {"connectable": connectable, "valid_listen": valid_listen}
