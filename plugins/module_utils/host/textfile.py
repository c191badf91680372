# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus text exposition for node-exporter's textfile collector, written all at once."""

from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.host import transaction

NAMESPACE = "preflight_nginx_"


def _label(value):
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


class Metrics:
    """Gauges by name, each with its help text once, samples in the order they were added."""

    def __init__(self):
        self.families = {}  # name -> (help, [(labels, value)])

    def add(self, name, help_text, labels, value):
        name = NAMESPACE + name
        family = self.families.setdefault(name, (help_text, []))
        family[1].append((dict(labels), value))

    def samples(self, name):
        """{label tuple: value} of one family (for tests and the benchmark)."""
        family = self.families.get(NAMESPACE + name, ("", []))
        return {tuple(sorted(labels.items())): value for labels, value in family[1]}

    def text(self):
        lines = []
        for name, (help_text, samples) in self.families.items():
            lines.append("# HELP %s %s" % (name, help_text.replace("\\", "\\\\").replace("\n", " ")))
            lines.append("# TYPE %s gauge" % name)
            seen = set()
            for labels, value in samples:
                rendered = ",".join('%s="%s"' % (key, _label(val)) for key, val in sorted(labels.items()))
                if rendered in seen:
                    continue  # one sample per label set, or node-exporter refuses the whole file
                seen.add(rendered)
                lines.append("%s%s %s" % (name, "{%s}" % rendered if rendered else "", _number(value)))
        return "\n".join(lines) + "\n"

    def write(self, path):
        transaction.write_atomic(path, self.text().encode("utf-8"), 0o644)
