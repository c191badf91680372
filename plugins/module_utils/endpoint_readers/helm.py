# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helm templates (templates/*.yaml, *.tpl of a chart): the command lines in them, read as text.

A template is not YAML until helm renders it, so each line that runs a network
tool (``- curl``, ``command: ["wget", ...]``, a probe's shell string) is read on its
own; values made of ``{{ }}`` are not judged (commands.connect_problems skips them).

What a values file gives those lines is judged where the value is written
(:func:`values_uses`, called by the kubernetes reader for a chart's values files):
a template line that runs a network tool, an env entry (``- name: BACKEND_URL`` then
``value: {{ .Values.backend.url }}``) or an upper-case key (a ConfigMap's
``RABBIT_URL: {{ .Values.rabbitmq.url | quote }}``) whose ``{{ }}`` are all plain
``.Values`` paths is rendered with the values file merged over the chart's
values.yaml, as ``helm install -f values-prod.yaml`` does, and judged at the line
of the value that writes the address's host, when that file sets it (a host
written in the template itself is not a values file's). values.yaml is judged
alone: it is what a deploy without ``-f`` uses.
"""

from __future__ import annotations

import os
import re

from ansible_collections.preflight.nginx.plugins.module_utils import commands
from ansible_collections.preflight.nginx.plugins.module_utils.endpoint_readers import base, yamlnodes

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
        for use in base.command_uses(source, number, _words(line), dict(source.variables), "helm template"):
            uses.append(use)
    return uses


def _words(line):
    """The command of a template line: ``- curl ...``, ``command: ["wget", ...]``, a quoted string."""
    text = line.strip().lstrip("-").strip()
    text = re.sub(r"^[A-Za-z_]+:\s*", "", text)  # command: "curl ..."
    if text.startswith("[") and text.endswith("]"):
        return [w.strip().strip("'\"") for w in text[1:-1].split(",")]
    return text.strip("'\"")


_EXPRESSION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
_VALUES_PATH = r"\$?\.Values((?:\.[A-Za-z_][\w-]*)+)"
# .Values.a.b, piped through filters that do not change the address; "default X" in either order.
_PLAIN = re.compile(r"^(?:default\s+(\"[^\"]*\"|'[^']*')\s+)?%s((?:\s*\|\s*(?:quote|squote|toString|trim|"
                    r"default\s+(?:\"[^\"]*\"|'[^']*')))*)$" % _VALUES_PATH)
_ENV_NAME = re.compile(r"^(\s*)-\s+name:\s*[\"']?([A-Za-z_][A-Za-z0-9_]*)[\"']?\s*$")
_ENV_VALUE = re.compile(r"^(\s*)value:\s*(.*)$")
_UPPER_KEY = re.compile(r"^\s*([A-Z][A-Z0-9_]*):\s*(.*)$")


class _Reference:
    """A template line that uses .Values: a command (``name`` None) or a variable's value."""

    def __init__(self, template, line, text, name=None):
        self.template, self.line, self.text, self.name = template, line, text, name


def references(text, template):
    """The :class:`_Reference` of one template's text."""
    found = []
    names = []  # (indent, name) of the env entries above
    for number, line in enumerate(text.splitlines(), 1):
        entry = _ENV_NAME.match(line) if "name:" in line else None
        if entry:
            names = [n for n in names if n[0] < len(entry.group(1))] + [(len(entry.group(1)), entry.group(2))]
            continue
        if ".Values" not in line or "{{/*" in line or line.lstrip().startswith("{{"):
            continue  # {{- if .Values.x }}, {{- include ... }}: control lines, no value of their own
        value = _ENV_VALUE.match(line)
        if _TOOLS.search(line) and _TOOLS.search(_EXPRESSION.sub("", line)):
            found.append(_Reference(template, number, line))
        elif value and names and names[-1][0] + 2 == len(value.group(1)):
            found.append(_Reference(template, number, _unquote(value.group(2)), names[-1][1]))
        elif _UPPER_KEY.match(line):
            key = _UPPER_KEY.match(line)
            found.append(_Reference(template, number, _unquote(key.group(2)), key.group(1)))
    return found


def _unquote(text):
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def values_uses(source, document):
    """What this values file (a YAML node) gives the chart's templates, judged where it is written."""
    chart = os.path.dirname(source.path)
    defaults = None
    if os.path.basename(source.path) not in ("values.yaml", "values.yml"):
        defaults = _chart_values(source)
    uses = []
    for template, text in _templates(source, chart):
        for reference in references(text, template):
            uses.extend(_reference_uses(source, reference, document, defaults))
    return uses


def _chart_values(source):
    """The chart's values.yaml (the defaults every -f file is merged over), as a node, or None."""
    for name in ("values.yaml", "values.yml"):
        try:
            documents = yamlnodes.load(source.other(name))
        except (OSError, base.ReadError):
            continue
        return documents[0] if documents else None
    return None


def _templates(source, chart):
    """(path as reported, text) of the chart's templates."""
    folder = os.path.join(chart, "templates") if chart else "templates"
    real = os.path.join(source.root, folder.lstrip("/")) if source.root and source.root != "/" else folder
    for current, dirs, files in os.walk(real):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml", ".tpl")):
                continue
            path = os.path.relpath(os.path.join(current, name), os.path.dirname(real))
            try:
                yield path, source.other(path).text
            except (OSError, base.ReadError):
                continue  # the template is reported when it is scanned itself


def _reference_uses(source, reference, document, defaults):
    """The Uses of one reference rendered with this file's values, where this file writes the host."""
    text, spans, paths = "", [], []  # spans: (start, end, line of this file's value or None) in text
    last = 0
    for expression in _EXPRESSION.finditer(reference.text):
        plain = _PLAIN.match(expression.group(1))
        if not plain:
            return []  # include, printf, a range variable: not known without helm
        path = plain.group(2).lstrip(".").split(".")
        node, own = _lookup(document, path), True
        if node is None and defaults is not None:
            node, own = _lookup(defaults, path), False
        default = plain.group(1) or re.search(r"default\s+(\"[^\"]*\"|'[^']*')", plain.group(3) or "")
        value = node.value if node is not None else ""
        if not value and default:
            value = (default if isinstance(default, str) else default.group(1))[1:-1]
        elif node is None:
            return []  # set by --set or another -f file: not known here
        text += reference.text[last:expression.start()]
        spans.append((len(text), len(text) + len(value), yamlnodes.line(node) if own and node is not None else None))
        text += value
        last = expression.end()
        paths.append(".Values." + ".".join(path))
    text += reference.text[last:]
    if not any(line for _start, _end, line in spans):
        return []  # nothing from this file: judged where it is written
    paths = ", ".join(dict.fromkeys(paths))
    if reference.name is None:
        via = paths
        uses = base.command_uses(source, 0, _words(text), {}, "helm template %s:%d" % (
            reference.template, reference.line))
    else:
        via = "%s:%d sets %s from %s" % (reference.template, reference.line, reference.name, paths)
        use = base.variable_use(source, 0, reference.name, text, "%s:%d %s" % (
            reference.template, reference.line, reference.name))
        uses = [use] if use is not None else []
    found = []
    for use in uses:
        # The address is this file's to answer for only where this file writes its host: a host
        # written in the template itself (http://0.0.0.0:{{ .Values.port }}) is the template's.
        use.line = _host_line(text, use.raw, spans)
        if use.line is not None:
            use.via = via
            found.append(use)
    return found


def _host_line(text, value, spans):
    """The line of this file's value that writes the host of ``value`` (found in ``text``), or None."""
    offset = text.find(value)
    if offset < 0:
        return None
    start, end = _host_span(value)
    for span_start, span_end, line in spans:
        if line is not None and span_start < offset + max(end, start + 1) and offset + start < span_end:
            return line
    return None


def _host_span(value):
    """(start, end) of the host in a URL or host:port (user and port left out)."""
    start = value.find("://")
    start = start + 3 if start >= 0 else 0
    end = start
    while end < len(value) and value[end] not in "/?#":
        end += 1
    at = value.rfind("@", start, end)
    if at >= 0:
        start = at + 1
    if value.startswith("[", start):
        close = value.find("]", start, end)
        return start, close + 1 if close >= 0 else end
    colon = value.find(":", start, end)
    return start, colon if colon >= 0 else end


def _lookup(node, path):
    """The scalar node at ``path`` in a values tree (None: not set, or null, or not a scalar)."""
    for key in path:
        node = yamlnodes.get(node, key)
        if node is None:
            return None
    if node.id != "scalar" or node.tag == "tag:yaml.org,2002:null":
        return None
    return node
