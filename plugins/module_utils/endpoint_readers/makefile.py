# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Makefiles: recipe lines (after a tab) are shell; ``NAME = value`` sets make variables they use.

``$(NAME)`` and ``${NAME}`` are make's (replaced when the Makefile sets NAME), ``$$`` is the
shell's ``$``. A recipe's @, - and + prefixes are make's, not part of the command.
"""

from __future__ import annotations

import os
import re

from ansible_collections.preflight.nginx.plugins.module_utils.endpoint_readers import base, shell

KIND = "makefile"
_NAMES = ("Makefile", "makefile", "GNUmakefile")
_ASSIGN = re.compile(r"^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:::=|:=|\?=|\+=|!=|=)\s*(.*)$")
_MAKE_VAR = re.compile(r"\$[({]([A-Za-z_][A-Za-z0-9_.-]*)[)}]")


def claims(path, text):
    name = os.path.basename(path)
    return name in _NAMES or name.endswith(".mk")


def read(source):
    uses = []
    make_vars = dict(source.variables)
    for number, line, parts in shell.logical_lines(source.text, physical=True):
        if line.startswith("\t"):
            command = line[1:].lstrip("@-+ \t")
            command = _MAKE_VAR.sub(lambda m: make_vars.get(m.group(1), "${%s}" % m.group(1)), command)
            command = command.replace("$$", "$")
            found = shell.read_shell(source, command, number, dict(make_vars), "make recipe", judge_exports=False)
            uses.extend(base.at_physical_lines(found, number, parts) if len(parts) > 1 else found)
            continue
        match = _ASSIGN.match(line.strip())
        if match and not line.lstrip().startswith("#"):
            make_vars[match.group(1)] = _MAKE_VAR.sub(lambda m: make_vars.get(m.group(1), m.group(0)),
                                                      match.group(2).split(" #", 1)[0].strip())
    return uses
