# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Endpoint variables: read env files, pick the endpoint-like keys, judge the values.

Env files follow the common ground of systemd's EnvironmentFile=, Docker's
.env and /etc/default/*: comments (# or ;), an optional "export", single and
double quotes, and a backslash at the end of a line to continue it.
"""

from __future__ import annotations

import re

from ansible_collections.preflight.nginx.plugins.module_utils import addresses

# Names that hold an address a client connects to (or a server binds).
DEFAULT_PATTERN = r"(?i)(^|_)(URL|URI|HOST|HOSTNAME|ADDR|ADDRESS|ENDPOINT|UPSTREAM|BACKEND|SERVER|PORT|DSN)$"
# Names that say the value is bound to, where 0.0.0.0 means "every address".
_BIND_NAME = re.compile(r"(?i)(^|_)(LISTEN|BIND)(_|$)")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_DOUBLE_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "$": "$", "`": "`"}


class EnvFileError(Exception):
    def __init__(self, path, line, message):
        Exception.__init__(self, "%s:%d: %s" % (path, line, message))
        self.path = path
        self.line = line
        self.message = message


def parse_env_text(text, path="<env>"):
    """[(key, value, line)] of an env file; raises EnvFileError at the first bad line."""
    entries = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        number = index + 1
        line = lines[index]
        index += 1
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith(("export ", "export\t")):
            stripped = stripped[len("export"):].lstrip()
        key, equals, rest = stripped.partition("=")
        key = key.strip()
        if not equals:
            raise EnvFileError(path, number, "expected KEY=value, got %r" % stripped[:60])
        if not _KEY.match(key):
            raise EnvFileError(path, number, "invalid variable name %r" % key)
        rest = rest.lstrip()
        value, index = _value(rest, lines, index, path, number)
        entries.append((key, value, number))
    return entries


def read_env_file(path):
    """[(key, value, line)] of the env file at ``path``; EnvFileError names the file and line."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError as exc:
        raise EnvFileError(path, 0, "cannot read: %s" % (exc.strerror or exc)) from exc
    return parse_env_text(text, path)


def read_env_files(paths):
    """The variables of several env files as a dict, later files winning."""
    variables = {}
    for path in paths:
        variables.update((key, value) for key, value, _line in read_env_file(path))
    return variables


def _value(rest, lines, index, path, number):
    """Read one value starting at ``rest``; returns (value, index of the next line)."""
    if rest[:1] in ("'", '"'):
        quote = rest[0]
        text = rest[1:]
        out = []
        while True:
            position = 0
            while position < len(text):
                char = text[position]
                if char == quote:
                    tail = text[position + 1:].strip()
                    if tail and not tail.startswith("#"):
                        raise EnvFileError(path, number, "unexpected text after the closing quote: %r" % tail[:40])
                    return "".join(out), index
                if char == "\\" and quote == '"' and position + 1 < len(text):
                    out.append(_DOUBLE_ESCAPES.get(text[position + 1], "\\" + text[position + 1]))
                    position += 2
                    continue
                if char == "\\" and quote == '"' and position + 1 == len(text):
                    position += 1  # an escaped newline joins the next line
                    break
                out.append(char)
                position += 1
            else:
                out.append("\n")
            if index >= len(lines):
                raise EnvFileError(path, number, "unterminated %s quote" % ("double" if quote == '"' else "single"))
            text = lines[index]
            index += 1
    value = rest
    while value.endswith("\\") and index < len(lines):
        value = value[:-1] + lines[index].strip()
        index += 1
    value = re.split(r"\s+#", value, maxsplit=1)[0]
    return value.strip(), index


def is_endpoint_key(key, pattern=DEFAULT_PATTERN, keys=None):
    if keys:
        return key in keys
    return re.search(pattern, key) is not None


def judge(key, value):
    """Problems of one endpoint variable (a list of dicts; empty when it is fine)."""
    value = "" if value is None else str(value).strip()
    if "{{" in value or "$" in value:
        return []
    if not value:
        return [{"code": addresses.MALFORMED_ADDRESS, "message": "%s is empty" % key,
                 "hint": "set it to a URL or host:port"}]
    if re.search(r"(?i)(^|_)PORT$", key):
        if addresses.parse_port(value) is None:
            return [{"code": addresses.INVALID_PORT, "message": "%s=%s is not a port (1-65535)" % (key, value),
                     "hint": "a port is a decimal number from 1 to 65535"}]
        return []
    if _BIND_NAME.search(key):
        problems = [p.as_dict() for p in addresses.parse_listen(value).problems if p.code != addresses.NON_CANONICAL]
    else:
        problems = addresses.endpoint_problems(value)
    for problem in problems:
        problem["message"] = re.sub(r"^(endpoint|listen): ", "%s: " % key, problem["message"])
    return problems


def check_variables(items, pattern=DEFAULT_PATTERN, keys=None, select_all=False):
    """Judge (key, value, file, line) items; returns one result per endpoint key."""
    results = []
    for key, value, file, line in items:
        if not select_all and not is_endpoint_key(key, pattern, keys):
            continue
        problems = judge(key, value)
        results.append({"key": key, "value": value, "file": file, "line": line, "problems": problems})
    return results
