# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-lint rule preflight-endpoint: bad addresses in tasks, environments and variables."""

from __future__ import annotations

import os
import re
import shlex
import sys

from ansiblelint.rules import AnsibleLintRule

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import preflight_engine  # a sibling module: ansible-lint imports rule files by name
finally:
    sys.path.pop(0)

addresses = preflight_engine.load("addresses")
env_endpoints = preflight_engine.load("env_endpoints")

# Endpoint-like variable names; override with PREFLIGHT_ENDPOINT_PATTERN.
PATTERN = os.environ.get("PREFLIGHT_ENDPOINT_PATTERN", env_endpoints.DEFAULT_PATTERN)
NETWORK_TOOLS = {"curl", "wget", "nc", "ncat", "netcat", "telnet", "http", "https", "xh", "ab", "wrk"}
SOCKET_TOOLS = {"nc", "ncat", "netcat", "telnet"}
_NC_VALUE_OPTIONS = {"-w", "-p", "-s", "-i", "-q", "-x", "-X", "-I", "-O", "-T", "-V", "-e", "-c", "-m"}
_WRAPPERS = {"sudo", "env", "command", "exec", "nice", "nohup", "time"}
_SHELL_OPERATORS = {"|", "||", "&&", ";", "&", ";;", "(", ")"}
_MAPPING_OPTIONS = {"--resolve", "--connect-to"}
_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.%]+\]|[A-Za-z0-9_.-]+):[^/\s]*$")
_COMMAND_MODULES = {"command", "shell", "raw"}
_URL_MODULES = {"uri": "url", "get_url": "url", "http_check": "url"}


def _short(module):
    return str(module or "").rsplit(".", 1)[-1]


def _problems(value):
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return []
    text = str(value)
    if "{{" in text or "{%" in text:
        return []
    return addresses.endpoint_problems(text)


def _describe(problem):
    message = re.sub(r"^endpoint: ", "", problem["message"])
    return message + (" (%s)" % problem["hint"] if problem.get("hint") else "")


def command_targets(command):
    """(tool, value) for every address a network tool in a command line is pointed at."""
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
    except ValueError:
        tokens = command.split()
    segments, current = [], []
    for token in tokens:
        if token in _SHELL_OPERATORS:
            segments.append(current)
            current = []
        else:
            current.append(token)
    segments.append(current)
    found = []
    for segment in segments:
        while segment and (os.path.basename(segment[0]) in _WRAPPERS or ("=" in segment[0] and
                           not segment[0].startswith("-"))):
            segment = segment[1:]
        if not segment or os.path.basename(segment[0]) not in NETWORK_TOOLS:
            continue
        tool = os.path.basename(segment[0])
        args = segment[1:]
        if tool in SOCKET_TOOLS:
            positional, skip = [], False
            for arg in args:
                if skip:
                    skip = False
                elif arg in _NC_VALUE_OPTIONS:
                    skip = True
                elif not arg.startswith("-"):
                    positional.append(arg)
            if positional:
                host = positional[0]
                if ":" in host and not host.startswith("["):
                    host = "[%s]" % host
                found.append((tool, host + (":" + positional[1] if len(positional) > 1 else "")))
            continue
        previous = ""
        for arg in args:
            # --resolve and --connect-to take host:port:address mappings, not endpoints.
            looks_like_address = "://" in arg or (not arg.startswith("-") and _HOST_PORT.match(arg))
            if looks_like_address and previous not in _MAPPING_OPTIONS:
                found.append((tool, arg))
            previous = arg
    return found


def _key_line(file, key, start):
    """The line of ``key:`` at or after line ``start`` of a YAML file."""
    pattern = re.compile(r"^\s*-?\s*[\"']?%s[\"']?\s*:" % re.escape(str(key)))
    lines = file.content.splitlines()
    for index in range(max(start - 1, 0), len(lines)):
        if pattern.match(lines[index]):
            return index + 1
    return start


class PreflightEndpointRule(AnsibleLintRule):
    """Network addresses that no client can connect to."""

    id = "preflight-endpoint"
    shortdesc = "Network addresses that no client can connect to"
    description = (
        "curl, wget, nc, telnet, httpie, ab or wrk pointed at the unspecified address (0, 0.0.0.0, [::]), "
        "a bad port or a malformed host; the same in uri, get_url, wait_for and preflight.nginx.http_check, "
        "in environment: blocks, and in variables whose names mark them as endpoints (*_URL, *_HOST, "
        "*_ADDR, *_PORT, ...). Values are judged by the preflight.nginx engine, the way nginx and the "
        "system resolver read them; values made of Jinja are not judged."
    )
    severity = "HIGH"
    tags = ["preflight", "networking", "idempotency"]
    version_changed = "0.1.0"
    link = "https://docs.ansible.com/projects/lint/custom-rules/"

    def _error(self, file, line, tag, subject, problem):
        message = _describe(problem)
        if not message.startswith(subject + ":") and not message.startswith(subject + "="):
            message = "%s: %s" % (subject, message)
        return self.create_matcherror(message=message, lineno=line,
                                      filename=file, tag="%s[%s]" % (self.id, tag))

    def _variables(self, file, mapping, start, tag):
        errors = []
        if not isinstance(mapping, dict):
            return errors
        for key, value in mapping.items():
            if str(key).startswith("__") or not env_endpoints.is_endpoint_key(str(key), PATTERN):
                continue
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                continue
            text = str(value)
            if "{{" in text or "{%" in text:
                continue
            for problem in env_endpoints.judge(str(key), text):
                errors.append(self._error(file, _key_line(file, key, start), tag, str(key), problem))
        return errors

    def matchtask(self, task, file=None):
        errors = []
        line = task.get("__line__", 1)
        action = task["action"]
        module = _short(action.get("__ansible_module_original__") or action.get("__ansible_module__"))
        if module in _COMMAND_MODULES:
            command = action.get("cmd") or action.get("_raw_params") or ""
            if action.get("argv"):
                command = " ".join(shlex.quote(str(a)) for a in action["argv"])
            if isinstance(command, list):
                command = " ".join(str(a) for a in command)
            for tool, value in command_targets(str(command)):
                for problem in _problems(value):
                    errors.append(self._error(file, line, "curl", tool, problem))
        elif module in _URL_MODULES:
            for problem in _problems(action.get(_URL_MODULES[module])):
                errors.append(self._error(file, line, "uri", "%s url" % module, problem))
        elif module == "wait_for" and action.get("host") is not None:
            host = str(action["host"])
            port = action.get("port")
            if ":" in host and not host.startswith("["):
                host = "[%s]" % host
            value = "%s:%s" % (host, port) if port is not None else host
            if "{{" not in value:
                for problem in _problems(value):
                    errors.append(self._error(file, line, "uri", "wait_for", problem))
        raw = task.get("__raw_task__", task)
        errors.extend(self._variables(file, task.get("environment"), line, "environment"))
        errors.extend(self._variables(file, raw.get("vars") if isinstance(raw, dict) else None, line, "vars"))
        return errors

    needs_raw_task = True

    def matchplay(self, file, data):
        errors = []
        if not isinstance(data, dict):
            return errors
        line = data.get("__line__", 1)
        errors.extend(self._variables(file, data.get("environment"), line, "environment"))
        errors.extend(self._variables(file, data.get("vars"), line, "vars"))
        for role in data.get("roles") or ():
            if isinstance(role, dict):
                role_line = role.get("__line__", line)
                errors.extend(self._variables(file, role.get("environment"), role_line, "environment"))
                errors.extend(self._variables(file, role.get("vars"), role_line, "vars"))
        return errors

    def matchyaml(self, file):
        if str(file.kind) == "vars" and isinstance(file.data, dict):
            return self._variables(file, file.data, 1, "vars")
        return super().matchyaml(file)
