# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus text exposition for node-exporter's textfile collector, written all at once."""

from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.host import transaction

NAMESPACE = "preflight_nginx_"


def _label(value):
    value = str(value)
    if "\\" in value or '"' in value or "\n" in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def _number(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


class Metrics:
    """Gauges by name, each with its help text once, samples in the order they were added."""

    def __init__(self):
        self.families = {}  # name -> (help, {rendered labels: value})

    def add(self, name, help_text, labels, value):
        family = self.families.get(NAMESPACE + name)
        if family is None:
            family = self.families[NAMESPACE + name] = (help_text, {})
        # Rendered once here: a 5,000-server host writes some 17,000 samples per run.
        rendered = ",".join('%s="%s"' % (key, _label(labels[key])) for key in sorted(labels))
        # One sample per label set (the first), or node-exporter refuses the whole file.
        family[1].setdefault(rendered, value)

    def samples(self, name):
        """{rendered labels: value} of one family."""
        return dict(self.families.get(NAMESPACE + name, ("", {}))[1])

    def text(self):
        lines = []
        for name, (help_text, samples) in self.families.items():
            lines.append("# HELP %s %s" % (name, help_text.replace("\\", "\\\\").replace("\n", " ")))
            lines.append("# TYPE %s gauge" % name)
            for rendered, value in samples.items():
                lines.append("%s{%s} %s" % (name, rendered, _number(value)) if rendered else
                             "%s %s" % (name, _number(value)))
        return "\n".join(lines) + "\n"

    def write(self, path):
        transaction.write_atomic(path, self.text().encode("utf-8"), 0o644)
