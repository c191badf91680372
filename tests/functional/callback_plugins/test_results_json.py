# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helper: print every task result as one JSON document at the end of the run."""

from __future__ import annotations

import json

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: test_results_json
type: stdout
short_description: Print task results as JSON (for the collection's own tests)
description:
  - Collects the result of every task, per host, and prints them as one JSON document.
author:
  - preflight.nginx contributors (@preflight-nginx)
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "test_results_json"

    def __init__(self):
        super().__init__()
        self.results = []

    def _record(self, result, **status):
        entry = dict(result._result)
        entry.update(status)
        entry["task"] = result._task.get_name()
        entry["host"] = result._host.get_name()
        self.results.append(entry)

    def v2_runner_on_ok(self, result):
        self._record(result, failed=False)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True, failed=True)

    def v2_playbook_on_stats(self, stats):
        self._display.display(json.dumps({"results": self.results}, default=str))
