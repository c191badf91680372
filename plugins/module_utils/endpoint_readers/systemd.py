# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd units: ExecStart*= (and the other Exec lines), Environment=, EnvironmentFile=.

A variable in an Exec line is followed to the unit's Environment= and its
EnvironmentFile= files (read under the scan's root). ListenStream=,
ListenDatagram= and the like are where a socket unit binds: never judged.
"""

from __future__ import annotations

import re
import shlex

from ansible_collections.preflight.nginx.plugins.module_utils.endpoint_readers import base, shell

KIND = "systemd"
_SUFFIXES = (".service", ".socket", ".timer", ".mount", ".path", ".target", ".slice", ".scope")
_SECTION = re.compile(r"^\[([A-Za-z][A-Za-z0-9 -]*)\]\s*$")
_ASSIGN = re.compile(r"^([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*)$")
_EXEC = re.compile(r"^Exec[A-Za-z]*$")
_UNIT_SECTIONS = {"Unit", "Service", "Socket", "Timer", "Install", "Mount", "Path", "Slice", "Scope"}


def claims(path, text):
    first = next((line.strip() for line in text.splitlines() if line.strip() and line.strip()[0] not in "#;"), "")
    if text.startswith("#!") or first.startswith("<"):
        return False  # an init script or an XML file (avahi's *.service) named like a unit
    name = path.rsplit("/", 1)[-1]
    head = [line.strip() for line in text.splitlines()[:80] if line.strip() and not line.startswith(("#", ";"))]
    sections = [m.group(1) for m in map(_SECTION.match, head) if m]
    if name.endswith(_SUFFIXES):
        return True
    if name.endswith(".conf") and ".d/" in path:
        return any(section in _UNIT_SECTIONS for section in sections)  # a drop-in
    return bool(sections) and all(section in _UNIT_SECTIONS for section in sections) and "Service" in sections


def read(source):
    environment = []  # (line, key, value)
    execs = []  # (line, key, command)
    files = []  # (line, path)
    section = None
    for number, line, parts in shell.logical_lines(source.text, physical=True):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        match = _SECTION.match(stripped)
        if match:
            section = match.group(1)
            continue
        match = _ASSIGN.match(stripped)
        if not match:
            if stripped.startswith("["):
                raise base.ReadError("unterminated section header %r" % stripped[:40], number)
            raise base.ReadError("expected Key=value, got %r" % stripped[:60], number)
        key, value = match.group(1), match.group(2)
        if section is None:
            raise base.ReadError("%s= before any [Section]" % key, number)
        if key == "Environment":
            for assignment in _words(value, source, number):
                name, equals, text = assignment.partition("=")
                if equals:
                    environment.append((number, name, text))
        elif key == "EnvironmentFile":
            files.append((number, value.strip()))
        elif _EXEC.match(key):
            execs.append((number, key, value, parts))
    variables = dict(source.variables)
    for _number, path in files:
        optional = path.startswith("-")
        found = source.env_file(path.lstrip("-"))
        if found is not None:
            variables.update(found)
        elif not optional:
            pass  # a missing required file fails the unit at start; that is systemd's message to give
    uses = []
    for number, name, value in environment:
        variables[name] = value
        use = base.variable_use(source, number, name, value, "Environment=%s" % name)
        if use is not None:
            uses.append(use)
    for number, key, command, parts in execs:
        command = command.lstrip("-@:+!|")  # systemd's prefixes: ignore failure, argv0, privileges
        found = base.command_uses(source, number, command.replace("$$", "$"), variables, "%s=" % key)
        uses.extend(base.at_physical_lines(found, number, parts))
    return uses


def _words(value, source, number):
    try:
        return shlex.split(value)
    except ValueError as exc:
        raise base.ReadError("Environment=: %s" % exc, number) from exc
