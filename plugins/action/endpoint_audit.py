# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs preflight.nginx.endpoint_audit the way the other modules run (see plugin_utils/engine_action)."""

from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.plugin_utils.engine_action import EngineAction as ActionModule

__all__ = ["ActionModule"]
