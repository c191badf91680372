# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helm templates (templates/*.yaml, *.tpl of a chart): the command lines in them, read as text.

A template is not YAML until helm renders it, so each line that runs a network
tool (``- curl``, ``command: ["wget", ...]``, a probe's shell string) is read on its
own; values made of ``{{ }}`` are not judged (commands.connect_problems skips them).
"""

from __future__ import annotations

import os
import re

from ansible_collections.preflight.nginx.plugins.module_utils import commands
from ansible_collections.preflight.nginx.plugins.module_utils.endpoint_readers import base

KIND = "helm-template"
_TOOLS = re.compile(r"(?<![\w./-])(%s)(?![\w.-])" % "|".join(sorted(commands.NETWORK_TOOLS - {"http", "https"})))


def claims(path, text):
    if "/templates/" not in path or not path.endswith((".yaml", ".yml", ".tpl")):
        return False
    chart = path.split("/templates/", 1)[0]
    return os.path.isfile(os.path.join(chart or ".", "Chart.yaml"))


def read(source):
    uses = []
    for number, line in enumerate(source.text.splitlines(), 1):
        if "{{/*" in line or not _TOOLS.search(line):
            continue
        text = line.strip().lstrip("-").strip()
        text = re.sub(r"^[A-Za-z_]+:\s*", "", text)  # command: "curl ..."
        if text.startswith("[") and text.endswith("]"):
            words = [w.strip().strip("'\"") for w in text[1:-1].split(",")]
        else:
            words = text.strip("'\"")
        for use in base.command_uses(source, number, words, dict(source.variables), "helm template"):
            uses.append(use)
    return uses
