# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load an nginx configuration tree into directives that know where they stand.

crossplane lexes and parses each file; includes and globs are resolved here,
the way nginx does (relative to the main file's directory, or to a prefix),
so that a file included from two places is expanded in both, include cycles
are caught, and every load problem names the file and line that caused it.
"""

from __future__ import annotations

import glob
import os
import tempfile
import traceback

try:
    import crossplane
    HAS_CROSSPLANE = True
    CROSSPLANE_IMPORT_ERROR = None
except ImportError:  # reported by the front-ends (missing_required_lib)
    crossplane = None
    HAS_CROSSPLANE = False
    CROSSPLANE_IMPORT_ERROR = traceback.format_exc()

SYNTAX_ERROR = "syntax-error"
INCLUDE_ERROR = "include-error"
INVALID_ENCODING = "invalid-encoding"
INVALID_ARGUMENTS = "invalid-arguments"

# nginx nests includes, but a chain deeper than this is a loop in disguise.
MAX_INCLUDE_DEPTH = 64


class ConfigLoadError(Exception):
    """The main file itself could not be read: nothing to check."""


class Directive:
    """One directive: name, arguments, where it was written, and its block."""

    __slots__ = ("name", "args", "file", "line", "parent", "block", "_context")

    def __init__(self, name, args, file, line, parent=None, block=None):
        self.name = name
        self.args = args
        self.file = file
        self.line = line
        self.parent = parent
        self.block = block
        self._context = None

    def children(self, name=None):
        if not self.block:
            return []
        return [d for d in self.block if name is None or d.name == name]

    def label(self):
        """How this block shows in a context path: ``server(example.com)``."""
        if self.name == "server" and self.block is not None:
            names = self.children("server_name")
            if names and names[0].args:
                return "server(%s)" % names[0].args[0]
            listens = self.children("listen")
            if listens and listens[0].args:
                return "server(%s)" % listens[0].args[0]
            return "server"
        if self.name in ("upstream", "location", "map", "if", "limit_except", "split_clients", "geo", "types"):
            return " ".join([self.name] + self.args) if self.args else self.name
        return self.name

    @property
    def context(self):
        """The blocks around this directive: ``http > server(api) > location /``."""
        if self._context is None:
            parent = self.parent
            self._context = "" if parent is None or parent.name == "" else (
                parent.label() if not parent.context else parent.context + " > " + parent.label())
        return self._context

    def text(self):
        return " ".join([self.name] + [_quote(a) for a in self.args])

    def __repr__(self):
        return "Directive(%r, %r, %s:%s)" % (self.name, self.args, self.file, self.line)


def _quote(arg):
    if arg == "" or any(c in arg for c in " \t;{}\"'"):
        return '"%s"' % arg.replace('"', '\\"')
    return arg


class LoadProblem:
    """A problem found while loading: a rule id with file and line."""

    __slots__ = ("rule", "message", "file", "line", "hint", "directive")

    def __init__(self, rule, message, file, line, hint="", directive=None):
        self.rule = rule
        self.message = message
        self.file = file
        self.line = line
        self.hint = hint
        self.directive = directive


class LoadedConfig:
    """The result of loading: a root directive, the files read, and problems."""

    def __init__(self, main_file, prefix):
        self.main_file = main_file
        self.prefix = prefix
        self.root = Directive("", [], main_file, 0, block=[])
        self.files = []
        self.problems = []
        self.comments = {}  # file -> {line: [comment text]}
        self.texts = {}  # file -> its text (lines are split only when asked for)
        self._lines = {}

    def source_lines(self, file):
        """The lines of a file that was read (for code frames and suppressions)."""
        if file not in self._lines:
            self._lines[file] = self.texts.get(file, "").splitlines()
        return self._lines[file]

    def walk(self):
        """Every directive, depth first, in file order."""
        stack = list(reversed(self.root.block))
        while stack:
            directive = stack.pop()
            yield directive
            if directive.block:
                stack.extend(reversed(directive.block))


def load(path, prefix=None, resolve_includes=True):
    """Load the configuration whose main file is ``path``.

    Raises ConfigLoadError when the main file cannot be read; every other
    problem is recorded in ``LoadedConfig.problems``.
    """
    if not HAS_CROSSPLANE:
        raise ConfigLoadError("the Python library crossplane is not installed")
    main_file = os.path.abspath(path)
    base = os.path.abspath(prefix) if prefix else os.path.dirname(main_file)
    loaded = LoadedConfig(main_file, base)
    loader = _Loader(loaded, base, resolve_includes)
    statements = loader.parse_file(main_file, None)
    if statements is None:
        problem = loaded.problems[0] if loaded.problems else None
        raise ConfigLoadError(problem.message if problem else "cannot read %s" % main_file)
    loaded.root.block = loader.build(statements, main_file, loaded.root, (main_file,))
    return loaded


def load_text(text, filename="nginx.conf", resolve_includes=False):
    """Load configuration text (for filters and templates)."""
    directory = tempfile.mkdtemp(prefix="nginx-preflight-")
    path = os.path.join(directory, os.path.basename(filename) or "nginx.conf")
    try:
        with open(path, "wb") as handle:
            handle.write(text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text)
        loaded = load(path, resolve_includes=resolve_includes)
    finally:
        try:
            os.unlink(path)
            os.rmdir(directory)
        except OSError:
            pass
    return loaded


class _Loader:
    def __init__(self, loaded, base, resolve_includes):
        self.loaded = loaded
        self.base = base
        self.resolve_includes = resolve_includes
        self.parsed = {}  # file -> crossplane statements (None: unreadable)

    def problem(self, rule, message, file, line, hint=""):
        self.loaded.problems.append(LoadProblem(rule, message, file, line, hint))

    def parse_file(self, path, included_from):
        """crossplane statements of one file, parsed once; None when it cannot be read."""
        if path in self.parsed:
            return self.parsed[path]
        self.parsed[path] = None
        where = included_from or (path, None)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            what = "included file" if included_from else "configuration file"
            self.problem(INCLUDE_ERROR, "cannot read %s %s: %s" % (what, path, reason),
                         where[0], where[1], "check the path and its permissions")
            return None
        self.loaded.files.append(path)
        if b"\0" in data:
            line = data[:data.index(b"\0")].count(b"\n") + 1
            self.problem(SYNTAX_ERROR, "%s is a binary file, not an nginx configuration (NUL byte)" % path,
                         path, line, "include only text configuration files")
            self.parsed[path] = []
            return []
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            self.problem(INVALID_ENCODING, "invalid UTF-8 (byte 0x%02x) in %s" % (data[exc.start], path),
                         path, line, "save the file as UTF-8; nginx passes the bytes through as they are")
            text = data.decode("utf-8", "replace")
        self.loaded.texts[path] = text
        errors = []
        try:
            payload = crossplane.parse(
                path, onerror=lambda e: e, catch_errors=True, single=True, comments=True,
                strict=False, check_ctx=False, check_args=True)
            statements = payload["config"][0]["parsed"] if payload["config"] else []
            errors = payload["errors"]
        except Exception as exc:  # crossplane raises plain errors on some inputs
            statements = []
            errors = [{"file": path, "line": getattr(exc, "lineno", None), "callback": exc}]
        for error in errors:
            exc = error.get("callback")
            message = getattr(exc, "strerror", None) or str(exc or error.get("error") or "")
            if not message.strip():
                # crossplane says nothing when the last statement lacks its ";"; nginx does.
                message = "unexpected end of file, expecting \";\" or \"}\""
                error = dict(error, line=error.get("line") or text.count("\n") + 1)
            if message.startswith(("invalid number of arguments", "invalid value")):
                # crossplane drops such a directive; nginx refuses it all the same.
                self.problem(INVALID_ARGUMENTS, message, error.get("file") or path, error.get("line") or 1,
                             "see the directive's documentation for its arguments")
            else:
                self.problem(SYNTAX_ERROR, message, error.get("file") or path, error.get("line") or 1,
                             "fix the syntax; nginx refuses to load this file")
        self.parsed[path] = statements
        return statements

    def build(self, statements, file, parent, stack):
        """Turn crossplane statements into Directives, expanding includes."""
        block = []
        comments = self.loaded.comments.setdefault(file, {})
        for stmt in statements:
            name = stmt["directive"]
            if name == "#":
                comments.setdefault(stmt["line"], []).append(stmt.get("comment", ""))
                continue
            if name == ";":
                self.problem(SYNTAX_ERROR, "unexpected \";\": an empty statement, which nginx refuses",
                             file, stmt["line"], "remove the extra \";\"")
                continue
            directive = Directive(name, stmt.get("args", []), file, stmt["line"], parent)
            block.append(directive)
            if "block" in stmt:
                directive.block = self.build(stmt["block"], file, directive, stack)
            if name == "include" and self.resolve_includes and len(directive.args) == 1:
                block.extend(self.include(directive, parent, stack))
        return block

    def include(self, directive, parent, stack):
        pattern = directive.args[0]
        if not os.path.isabs(pattern):
            pattern = os.path.join(self.base, pattern)
        # nginx sorts glob matches; a glob may match nothing, a plain name must exist.
        files = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        expanded = []
        for path in files:
            path = os.path.abspath(path)
            if path in stack:
                self.problem(INCLUDE_ERROR, "include cycle: %s includes itself again via %s"
                             % (path, directive.file), directive.file, directive.line,
                             "remove the include that closes the loop")
                continue
            if len(stack) >= MAX_INCLUDE_DEPTH:
                self.problem(INCLUDE_ERROR, "includes nested deeper than %d files" % MAX_INCLUDE_DEPTH,
                             directive.file, directive.line)
                continue
            if os.path.isdir(path):
                self.problem(INCLUDE_ERROR, "include %s is a directory" % path, directive.file,
                             directive.line, "include the files in it with a glob: %s/*.conf" % path)
                continue
            if not os.path.exists(path):
                self.problem(INCLUDE_ERROR, "included file %s does not exist" % path,
                             directive.file, directive.line,
                             "create it, fix the path (relative paths start at %s), "
                             "or use a glob if it may be absent" % self.base)
                continue
            statements = self.parse_file(path, (directive.file, directive.line))
            if statements is not None:
                expanded.extend(self.build(statements, path, parent, stack + (path,)))
        return expanded
