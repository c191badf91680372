# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shell scripts, and the shell text inside other files (cron jobs, CI steps, RUN, recipes).

Read line by line, the way a reviewer reads a script: a backslash joins lines,
``NAME=value`` and ``export NAME=value`` set variables later lines use, and the
body of a heredoc fed to a shell (``bash <<EOF``, ``ssh host <<'EOF'``) is read
as commands; other heredocs are data. Exported endpoint-named variables
(``export BACKEND_URL=...``) are judged by their names, as env files are;
plain assignments are only followed into the commands that use them.

A function defined in the same text (``probe() { curl "http://$1/health"; }``) is
followed into each call (``probe 0:8080``): its body is read again with ``$1``,
``${1}``, ``"$@"``... replaced by the call's words, and what that changes is judged at
the call's line. One level only, and no shell semantics beyond that: a call inside a
body being followed is not followed, nor a function that ``shift``s or ``set --``s them.
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
_FUNCTION = re.compile(r"^\s*(?:function\s+([A-Za-z_][\w:.-]*)\s*(?:\(\s*\))?|([A-Za-z_][\w:.-]*)\s*\(\s*\))\s*(.*)$")
_ONE_LINE_BODY = re.compile(r"^\{\s+(.*;)\s*\}\s*(?:#.*)?$")
_POSITIONAL = re.compile(r'"\$\{?[@*]\}?"|\$\{?[@*]\}?|\$\{([1-9][0-9]*)(?:(:?-)([^}]*))?\}|\$([1-9])')
_WORD = re.compile(r"[A-Za-z_][\w:.-]*")
_MAX_BODY = 1000  # a body not closed within this many lines is a misread brace, not a function
_MAX_FOLLOWED = 60  # a helper worth following is short; a long one is a program of its own
_CALL_PREFIXES = {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time", "command"}


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


def read_shell(source, text, first_line, variables, where=None, judge_exports=True, follow=True):
    """The Uses of shell text starting at ``first_line`` of ``source``; ``variables`` are updated.

    A logical line ends where the shell's does: not after a trailing backslash, and not inside
    quotes (a multi-line '...' string is one word, not lines of commands). With ``follow``,
    calls of the functions defined in ``text`` are followed (see the module doc).
    """
    uses = []
    variables = variables if variables is not None else {}
    lines = text.splitlines()
    functions = _functions(lines, first_line) if follow and ("(" in text or "function" in text) else {}
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
        if functions and number not in functions["\0headers"]:
            uses.extend(_calls(source, number, line, variables, where, functions))
        match = _HEREDOC.search(line)
        if match and not _open_quote(line[:match.start()]):
            before = line[:match.start()]
            heredoc = (match.group(3), match.group(1) == "-", bool(_FEEDS_SHELL.search(before)))
    return uses


class _Function:
    def __init__(self, name, line, body, body_line):
        self.name, self.line, self.body, self.body_line = name, line, body, body_line


def _functions(lines, first_line):
    """{name: _Function} of the functions defined in ``lines`` (``"\\0headers"``: their header lines).

    A name defined twice (in if/else branches, or redefined) is not followed: which body runs is not
    known without running the script.
    """
    found, headers, seen = {}, set(), set()
    index = 0
    while index < len(lines):
        match = _FUNCTION.match(lines[index])
        index += 1
        if not match:
            continue
        name, rest = match.group(1) or match.group(2), match.group(3).strip()
        if name in commands.NETWORK_TOOLS or name in commands.SHELLS:
            continue  # curl() { command curl --retry 3 "$@"; }: its calls are read as curl already
        number = first_line + index - 1
        one_line = _ONE_LINE_BODY.match(rest)
        if one_line:
            body, body_line = one_line.group(1), number
        else:
            if not rest and index < len(lines) and lines[index].strip() == "{":
                index += 1  # name()\n{
            elif not re.match(r"^\{\s*(#.*)?$", rest):
                continue  # name() ( subshell ), or not a definition at all
            end = _body_end(lines, index)
            if end is None:
                continue
            body, body_line = "\n".join(lines[index:end]), first_line + index
            index = end + 1
        headers.add(number)
        if name in seen:
            found.pop(name, None)
        elif _worth_following(body):
            found[name] = _Function(name, number, body, body_line)
        seen.add(name)
    found["\0headers"] = headers
    return found


def _worth_following(body):
    """A short body that runs a network tool and reads its arguments (and does not shift or reset them)."""
    return (body.count("\n") < _MAX_FOLLOWED and _TOOL.search(body) is not None
            and _POSITIONAL.search(body) is not None
            and re.search(r"(^|[\s;])(shift\b|set\s+--)", body) is None)


def _body_end(lines, index):
    """The index of the line that closes a function body opened above ``index`` (None: not found)."""
    depth = 1
    for end in range(index, min(len(lines), index + _MAX_BODY)):
        stripped = lines[end].strip()
        if re.match(r"^\}\s*([;&|<>#]|$)", stripped):
            depth -= 1
            if depth == 0:
                return end
        elif re.search(r"(^|\s)\{\s*$", stripped):
            depth += 1
    return None


def _calls(source, number, line, variables, where, functions):
    """The Uses a line's calls of known functions add: what their arguments put into the body's commands."""
    if not any(word in functions for word in _WORD.findall(line)):
        return []  # the usual line calls none of them: no need for the shell lexer
    uses = []
    for segment in commands._segments(commands.tokens(line)):
        while segment and segment[0] in _CALL_PREFIXES:
            segment = segment[1:]
        function = functions.get(segment[0]) if segment and segment[0] != "\0headers" else None
        if function is None:
            continue
        arguments = _arguments(segment[1:])
        if arguments is None:
            continue
        uses.extend(_followed(source, number, function, arguments, variables, where))
    return uses


def _arguments(words):
    """The words a call passes (redirections dropped); None when one could not be put back as text."""
    arguments = []
    skip = False
    for index, word in enumerate(words):
        if skip:
            skip = False
            continue
        if word in commands._REDIRECTIONS:
            skip = True
            continue
        if word.isdigit() and index + 1 < len(words) and words[index + 1] in commands._REDIRECTIONS:
            continue  # the 2 of 2>&1
        if any(char in word for char in "\"'`\\\n"):
            return None
        arguments.append(word)
    return arguments


def _followed(source, number, function, arguments, variables, where):
    """The body's Uses with the call's arguments that differ from those it has without them."""
    def positional(match):
        if match.group(1) is None and match.group(4) is None:  # "$@", $*: every argument
            return " ".join(commands.shlex.quote(a) for a in arguments)
        index = int(match.group(1) or match.group(4)) - 1
        if index < len(arguments) and (arguments[index] or match.group(2) != ":-"):
            return arguments[index]
        return (match.group(3) or "") if match.group(2) else ""

    # A fresh record of assignments: the body's `local url=$1` is not a second value for url.
    known = {name: value for name, value in variables.items() if name != _ASSIGNED}
    here = "function %s (defined at line %d)%s" % (function.name, function.line, " in " + where if where else "")
    called = read_shell(source, _POSITIONAL.sub(positional, function.body), function.body_line, dict(known),
                        here, judge_exports=False, follow=False)
    if not called:
        return []
    plain = read_shell(source, function.body, function.body_line, dict(known), here, judge_exports=False,
                       follow=False)
    unchanged = {(use.line, use.feeds, use.value) for use in plain}
    uses = [use for use in called if (use.line, use.feeds, use.value) not in unchanged]
    for use in uses:
        use.line = number
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
