# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shell scripts, and the shell text inside other files (cron jobs, CI steps, RUN, recipes).

Read line by line, the way a reviewer reads a script: a backslash joins lines,
``NAME=value`` and ``export NAME=value`` set variables later lines use, and the
body of a heredoc fed to a shell (``bash <<EOF``, ``ssh host <<'EOF'``) is read
as commands; other heredocs are data. Exported endpoint-named variables
(``export BACKEND_URL=...``) are judged by their names, as env files are;
plain assignments are only followed into the commands that use them.
"""

from __future__ import annotations

import re

from ansible_collections.preflight.nginx.plugins.module_utils import commands
from ansible_collections.preflight.nginx.plugins.module_utils.endpoint_readers import base

KIND = "shell"
_SHEBANG = re.compile(r"^#!\s*(?:/usr)?(?:/local)?/bin/(?:env\s+)?(?:ba|da|k|z|a)?sh\b")
_NAMES = (".sh", ".bash", ".ksh", ".zsh", ".bashrc", ".profile", ".bash_profile")
_HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")
_TOOL = re.compile(r"(?<![\w.-])(%s)(?![\w-])" % "|".join(sorted(commands.NETWORK_TOOLS)))
_SETS = re.compile(r"(^|[\s;&|(])[A-Za-z_][A-Za-z0-9_]*=")
_ASSIGNED = "\0assigned"  # where read_shell keeps every value each variable was given
_MAX_JOINED = 400  # an unbalanced quote joins at most this many lines: a stray apostrophe stops there
_FEEDS_SHELL = re.compile(r"(^|[\s;|&(])(sh|bash|dash|ash|zsh|ksh|ssh|docker|kubectl|podman|su)\b")


def claims(path, text):
    name = path.rsplit("/", 1)[-1]
    return name.endswith(_NAMES) or bool(_SHEBANG.match(text[:80]))


def read(source):
    return read_shell(source, source.text, 1, source.variables)


def logical_lines(text, first_line=1, physical=False):
    """(line number, text) of each logical line: a trailing backslash joins the next.

    With ``physical``, (line number, text, [the physical lines joined]).
    """
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        number = first_line + index
        line = lines[index]
        parts = [line]
        index += 1
        while line.endswith("\\") and index < len(lines):
            line = line[:-1] + " " + lines[index].lstrip()
            parts.append(lines[index])
            index += 1
        yield (number, line, parts) if physical else (number, line)


def read_shell(source, text, first_line, variables, where=None, judge_exports=True):
    """The Uses of shell text starting at ``first_line`` of ``source``; ``variables`` are updated.

    A logical line ends where the shell's does: not after a trailing backslash, and not inside
    quotes (a multi-line '...' string is one word, not lines of commands).
    """
    uses = []
    variables = variables if variables is not None else {}
    lines = text.splitlines()
    heredoc = None  # (delimiter, strip tabs, read as commands)
    index = 0
    while index < len(lines):
        number = first_line + index
        line = lines[index]
        index += 1
        if heredoc is not None:
            body = line.lstrip("\t") if heredoc[1] else line
            if body.strip() == heredoc[0]:
                heredoc = None
            elif heredoc[2]:
                uses.extend(_line_uses(source, number, body, variables, where, judge_exports))
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = [line]
        while index < len(lines) and len(parts) < _MAX_JOINED:
            if line.endswith("\\") and not line.endswith("\\\\"):
                line = line[:-1] + " " + lines[index].lstrip()
            elif _open_quote(line):
                line = line + "\n" + lines[index]
            else:
                break
            parts.append(lines[index])
            index += 1
        found = _line_uses(source, number, line, variables, where, judge_exports)
        uses.extend(base.at_physical_lines(found, number, parts) if len(parts) > 1 else found)
        match = _HEREDOC.search(line)
        if match and not _open_quote(line[:match.start()]):
            before = line[:match.start()]
            heredoc = (match.group(3), match.group(1) == "-", bool(_FEEDS_SHELL.search(before)))
    return uses


def _open_quote(line):
    """The quote character left open at the end of ``line`` (None when every quote is closed)."""
    single, double = "'" in line, '"' in line
    if not single and not double:
        return None
    if not (single and double) and "\\" not in line and "#" not in line:
        char = "'" if single else '"'
        return char if line.count(char) % 2 else None
    quote = None
    index = 0
    previous = " "
    while index < len(line):
        char = line[index]
        if quote is None:
            if char == "\\":
                index += 2
                previous = "x"
                continue
            if char == "#" and previous in " \t;&|(":
                return None  # a comment: its apostrophes are not quotes
            if char in "'\"":
                quote = char
        elif char == "\\" and quote == '"':
            index += 2
            continue
        elif char == quote:
            quote = None
        previous = char
        index += 1
    return quote


def _line_uses(source, number, line, variables, where, judge_exports):
    # Most lines run no network tool and set no variable: skip them before the (slow) shell lexer.
    uses = base.command_uses(source, number, line, variables, where) if _TOOL.search(line) else []
    if "=" not in line or not _SETS.search(line):
        return uses
    exported = line.lstrip().startswith(("export ", "declare -x "))
    for name, value in commands.assignments(line):
        value = base.expand_variables(_unquote(value), variables)
        if "$(" in value or "`" in value:
            variables.pop(name, None)  # set by a command's output: nobody knows it here
            continue
        seen = variables.setdefault(_ASSIGNED, {})
        if seen.get(name, value) != value:
            # Set to different values in different places (if/else branches, loops): which one a
            # later line sees is not known without running the script.
            seen[name] = None
        if seen.setdefault(name, value) is None:
            variables.pop(name, None)
        else:
            variables[name] = value
        if exported and judge_exports:
            use = base.variable_use(source, number, name, value, "export %s" % name)
            if use is not None:
                uses.append(use)
    return uses


def _unquote(value):
    if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
