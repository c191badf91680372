# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render a template the way the official nginx image's envsubst does.

The image runs ``envsubst "${VAR1} ${VAR2} ..."`` over
``/etc/nginx/templates/*.template`` at start-up, naming only the variables
that are set (and match ``NGINX_ENVSUBST_FILTER``): exactly those ``$VAR`` and
``${VAR}`` are replaced, and everything else, nginx's own ``$host`` included,
is left as written. envsubst knows no ``${VAR:-default}``.

What a template refers to but is not given is the one guess made here: a
name in capitals (``$BACKEND_HOST``; nginx's variables are lower case) is a
template variable left unset. It is rendered empty, as plain envsubst and
Compose do, so that ``http://${BACKEND_HOST}:8080`` is judged as the
``http://:8080`` it becomes.
"""

from __future__ import annotations

import re

REFERENCE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_TEMPLATE_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class Rendered:
    """A rendered template and, per line, which variables made it what it is."""

    def __init__(self, text, used):
        self.text = text
        self.used = used  # line -> [(name, value, or None when not set)], in the order of the line

    def note(self, line):
        """What the variables did to ``line``: "BACKEND_HOST=0 makes ..." (None: nothing)."""
        if not self.used.get(line):
            return None
        parts = ["%s=%s" % (name, value) if value is not None else "%s is not set (empty)" % name
                 for name, value in self.used[line]]
        lines = self.text.splitlines()
        rendered = lines[line - 1].strip() if line <= len(lines) else ""
        return "%s makes \"%s\"" % (", ".join(parts), rendered)


def render(text, variables, name_filter=None):
    """Substitute ``variables`` (a dict) into ``text``, line by line; see the module's doc."""
    allowed = re.compile(name_filter) if name_filter else None
    given = {k: v for k, v in variables.items() if allowed is None or allowed.search(k)}
    used = {}
    lines = []
    for number, line in enumerate(text.split("\n"), 1):
        def replace(match, number=number):
            name = match.group(1) or match.group(2)
            if name in given:
                used.setdefault(number, []).append((name, str(given[name])))
                return str(given[name])
            if _TEMPLATE_NAME.match(name) and (allowed is None or allowed.search(name)):
                used.setdefault(number, []).append((name, None))
                return ""
            return match.group(0)
        lines.append(REFERENCE.sub(replace, line))
    return Rendered("\n".join(lines), used)
