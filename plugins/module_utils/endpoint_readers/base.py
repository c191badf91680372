# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every reader yields: a Use, one value at one line, with what feeds it and what it is for."""

from __future__ import annotations

import os

from ansible_collections.preflight.nginx.plugins.module_utils import commands, env_endpoints

CONNECT, BIND, AMBIGUOUS = env_endpoints.CONNECT, env_endpoints.BIND, env_endpoints.AMBIGUOUS


class ReadError(Exception):
    """A file a reader cannot read (malformed YAML, a unit line it cannot parse): named, the scan goes on."""

    def __init__(self, message, line=None):
        Exception.__init__(self, message)
        self.line = line


class Source:
    """One file to read: its path (as reported), its text, the variables known from outside it."""

    def __init__(self, path, text, variables=None, root=None, env_file_reader=None, file_reader=None):
        self.path = path
        self.text = text
        self.variables = dict(variables or {})
        self.root = root
        self._env_file_reader = env_file_reader
        self._file_reader = file_reader
        self.notes = []  # [{"file", "line", "message"}]: what the reader could not follow, and why

    @property
    def name(self):
        return os.path.basename(self.path)

    def env_file(self, path):
        """The variables of an env file a unit or Compose file names (relative to this file), or None."""
        if self._env_file_reader is None:
            return None
        return self._env_file_reader(path, self)

    def other(self, path):
        """The Source of a file this one names (relative to it): a Compose ``extends`` file.

        Raises OSError (missing, unreadable, or no files can be read here) or ReadError (binary, too large).
        """
        if self._file_reader is None:
            raise OSError("only this file's text is known here")
        shown, text = self._file_reader(path, self)
        return Source(shown, text, self.variables, self.root, self._env_file_reader, self._file_reader)

    def note(self, line, message):
        self.notes.append({"file": self.path, "line": line, "message": message})


class Use:
    """A value at one line of a file: ``feeds`` says what uses it (curl, HEALTHCHECK, BACKEND=...).

    ``key`` is set for a variable (judged by its name, as env_check does); otherwise the value is
    a command's connect target. ``unknown`` names variables nobody can know here: not judged.
    """

    __slots__ = ("file", "line", "value", "feeds", "role", "key", "unknown", "host_only", "via", "raw")

    def __init__(self, file, line, value, feeds, role, key=None, unknown=(), host_only=False, via="", raw=None):
        self.raw = value if raw is None else raw  # as written (before variables were replaced)
        self.file = file
        self.line = line
        self.value = value
        self.feeds = feeds
        self.role = role
        self.key = key
        self.unknown = tuple(unknown)
        self.host_only = host_only
        self.via = via  # "BACKEND=0:80 (line 3)": where a variable in the value was set

    def as_dict(self):
        return {"file": self.file, "line": self.line, "value": self.value, "feeds": self.feeds,
                "role": self.role, "key": self.key, "unknown": list(self.unknown)}

    def __repr__(self):
        return "Use(%s:%s %s %s %r)" % (self.file, self.line, self.role, self.feeds, self.value)


def command_uses(source, line, command, variables, where=None):
    """The Uses of one command line: each network tool's connect target."""
    uses = []
    for target in commands.targets(command, variables):
        feeds = target.tool if target.source in ("url", "host") else "%s %s" % (target.tool, target.source)
        if where:
            feeds = "%s in %s" % (feeds, where)
        via = ", ".join("%s=%s" % (name, commands.addresses.redact(str(variables.get(name, ""))))
                        for name in dict.fromkeys(target.variables) if name in (variables or {}))
        uses.append(Use(source.path, line, target.value, feeds, CONNECT, unknown=target.unknown,
                        host_only=target.host_only, via=via, raw=target.raw))
    return uses


def at_physical_lines(uses, first_line, physical):
    """Move each Use of a command that spans ``physical`` lines to the line that holds its value."""
    for use in uses:
        for offset, text in enumerate(physical):
            if use.raw and use.raw in text:
                use.line = first_line + offset
                break
    return uses


def variable_use(source, line, key, value, feeds):
    """A Use for an endpoint-named variable (``None`` when the name is not one, or nothing is set)."""
    if value is None or not env_endpoints.is_endpoint_key(str(key)):
        return None
    value = str(value).strip()
    if not value:
        return None  # a value nobody set here is not judged: it is filled in elsewhere, or off
    unknown = commands.expand(value, {})[2] if "$" in value else ()
    return Use(source.path, line, value, feeds, env_endpoints.role(str(key), value), key=str(key),
               unknown=unknown)


def expand_variables(value, variables):
    """A value with the variables known here replaced (the way a shell or systemd would)."""
    return commands.expand(value, variables)[0]
