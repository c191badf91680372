# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a variable can hold, from the values the configuration itself gives it.

``set $v value``, ``map $src $v {}``, ``split_clients $src $v {}`` and ``geo``
write literal values into variables; a ``*_pass`` that reads such a variable
can only ever see one of them. The flow is read over the whole tree at once
(not per location): a variable may hold any value written for it anywhere in
the same protocol. Variables nginx fills in itself (``$host``, ``$1``,
``$upstream_http_x``) stay unknown, and so does any value that uses one.
"""

from __future__ import annotations

import re

# $name or ${name}; nginx names are letters, digits and underscores.
VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
# Past this many combinations a target is treated as unknown, as if nothing were known.
MAX_EXPANSIONS = 64
_MAX_DEPTH = 8
# Directives inside map/geo/split_clients blocks that are settings, not values.
_BLOCK_SETTINGS = frozenset(("hostnames", "volatile", "include", "ranges", "delete", "proxy",
                             "proxy_recursive"))


class Assignment:
    """One value a variable can take, and the directive that writes it."""

    __slots__ = ("variable", "value", "directive")

    def __init__(self, variable, value, directive):
        self.variable = variable
        self.value = value
        self.directive = directive

    def describe(self):
        return "$%s = \"%s\" (%s:%s)" % (self.variable, self.value, self.directive.file, self.directive.line)


class VariableValues:
    """Every literal value written into each variable, per protocol."""

    def __init__(self):
        self._values = {}  # (protocol, name) -> [Assignment]

    def record(self, directive, protocol):
        """Take the values a ``set`` directive or a map-like block writes."""
        name = directive.name
        if name == "set":
            if len(directive.args) == 2:
                self._add(protocol, directive.args[0], directive.args[1], directive)
            return
        # map $src $dst {}, split_clients $src $dst {}, geo [$src] $dst {}
        if not directive.args:
            return
        target = directive.args[-1]
        has_default = name == "split_clients"  # a percentage that adds up short leaves "" (not tracked)
        for entry in directive.block or ():
            if entry.name in _BLOCK_SETTINGS or len(entry.args) != 1:
                continue
            if entry.name == "default" or entry.name == "*":
                has_default = True
            self._add(protocol, target, entry.args[0], entry)
        if not has_default:
            # map and geo give the empty string when nothing matches and no default is set.
            self._add(protocol, target, "", directive)

    def _add(self, protocol, variable, value, directive):
        if variable.startswith("$"):
            variable = variable[1:].strip("{}")
            self._values.setdefault((protocol, variable), []).append(Assignment(variable, value, directive))

    def known(self, protocol, variable):
        return (protocol, variable) in self._values

    def expand(self, text, protocol):
        """Every text ``text`` can become, each with the assignments that made it.

        Unknown variables are left as written. Returns None when there are too
        many combinations to look at.
        """
        results = [(text, ())]
        for _depth in range(_MAX_DEPTH):
            expanded, changed = [], False
            for current, used in results:
                options = self._expand_once(current, protocol)
                if options is None:
                    expanded.append((current, used))
                    continue
                changed = True
                expanded.extend((value, used + assignments) for value, assignments in options)
                if len(expanded) > MAX_EXPANSIONS:
                    return None
            results = expanded
            if not changed:
                break
        return results

    def _expand_once(self, text, protocol):
        """Replace the first known variable of ``text`` by each of its values; None if there is none."""
        for match in VARIABLE.finditer(text):
            variable = match.group(1) or match.group(2)
            values = self._values.get((protocol, variable))
            if values is None:
                continue
            head, tail = text[:match.start()], text[match.end():]
            return [(head + a.value + tail, (a,)) for a in values]
        return None
