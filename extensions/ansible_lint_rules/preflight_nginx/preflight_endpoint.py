# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-lint rule preflight-endpoint: bad addresses in tasks, environments and variables.

What is wrong with an address depends on what it is for: a server binds to
0.0.0.0 or :: (every address), and that is right; a client cannot connect
there. Connect targets (URLs, *_URL, *_ENDPOINT, *_UPSTREAM, BACKEND*, curl
and uri targets, upstream servers in nginx-shaped role data) keep every
error. Bind values (LISTEN/BIND names, HOST, *_HOST, *_ADDR, servers'
--host/--bind options, wait_for for a port to drain) are judged only for bad
ports and malformed addresses. A host name of a service clients use
(DB_HOST, REDIS_HOST) at 0.0.0.0 is a warning (tag bind-or-connect).

Values of credential and header options (curl -u, -H, wget --password, ...)
are never judged and never printed; a URL's user and password are shown as ***.
"""

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

try:
    addresses = preflight_engine.load("addresses")
    commands = preflight_engine.load("commands")  # which argument of curl, wget, nc... is the target
    endpoint_scan = preflight_engine.load("endpoint_scan")  # the readers of scripts, units, crontabs
    shell_reader = preflight_engine.load("endpoint_readers.shell")
    env_endpoints = preflight_engine.load("env_endpoints")
    ENGINE_ERROR = None
except ImportError as exc:  # reported as a finding: a missing engine must not pass the run
    addresses = commands = endpoint_scan = shell_reader = env_endpoints = None
    ENGINE_ERROR = str(exc)

# Endpoint-like variable names; override with PREFLIGHT_ENDPOINT_PATTERN.
PATTERN = os.environ.get("PREFLIGHT_ENDPOINT_PATTERN", env_endpoints.DEFAULT_PATTERN if env_endpoints else "")
_COMMAND_MODULES = {"command", "shell", "raw"}
# Templates and files of these kinds go through the endpoint readers (YAML kinds are ansible-lint's own).
_FILE_KINDS = ("shell", "systemd", "crontab", "env", "dockerfile", "makefile")
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_URL_MODULES = {"uri": "url", "get_url": "url", "http_check": "url"}
# Keys of nginx-shaped data (nginxinc's nginx_config role and the like) that name where nginx connects.
_PASS_KEYS = {"proxy_pass", "grpc_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass", "memcached_pass"}
_NGINX_DATA = re.compile(r"(?i)nginx|upstream|proxy|location")


def _short(module):
    return str(module or "").rsplit(".", 1)[-1]


def _problems(value, host_only=False):
    """Problems of a connect target; each problem's message names the value with no user or password."""
    return commands.connect_problems(value, host_only)


def _describe(problem):
    message = re.sub(r"^endpoint: ", "", problem["message"])
    return message + (" (%s)" % problem["hint"] if problem.get("hint") else "")


def _without_jinja(text):
    """(text as Ansible would render it, the template line of each of its lines).

    {{ x }} becomes a variable nobody knows (never judged). A line holding only {% %} or {# #}
    tags, or only one {{ }} (a block of text made elsewhere), vanishes, as Ansible's trim_blocks
    makes the tag lines vanish: a unit's ExecStart= continued across {% if %} lines stays one line.
    """
    def replace(match):
        chunk = match.group(0)
        return ("${__jinja}" if chunk.startswith("{{") else "\0") + "\n" * chunk.count("\n")
    lines, origin = [], []
    for number, line in enumerate(_JINJA.sub(replace, text).split("\n"), 1):
        if (line.strip() and not line.replace("\0", "").strip()) or line.strip() == "${__jinja}":
            continue
        lines.append(line.replace("\0", ""))
        origin.append(number)
    return "\n".join(lines), origin


def _key_line(file, key, start, value=None):
    """The line of ``key:`` (with ``value`` on it, when given) at or after line ``start`` of a YAML file."""
    pattern = re.compile(r"^\s*-?\s*[\"']?%s[\"']?\s*:" % re.escape(str(key)))
    lines = file.content.splitlines()
    for index in range(max(start - 1, 0), len(lines)):
        if pattern.match(lines[index]) and (value is None or str(value) in lines[index]):
            return index + 1
    return start


class PreflightEndpointRule(preflight_engine.KeptUnderProfiles, AnsibleLintRule):
    """Network addresses that no client can connect to."""

    id = "preflight-endpoint"
    shortdesc = "Network addresses that no client can connect to"
    description = (
        "curl, wget, nc, telnet, httpie, ab or wrk pointed at the unspecified address (0, 0.0.0.0, [::]), "
        "a bad port or a malformed host; the same in uri, get_url, wait_for and preflight.nginx.http_check, "
        "in environment: blocks, in variables whose names mark them as endpoints (*_URL, *_HOST, *_ADDR, "
        "*_PORT, ...) and in nginx-shaped role data (upstream servers, proxy_pass). Addresses a server binds "
        "to (LISTEN/BIND and HOST-like names, wait_for until a port drains) may be 0.0.0.0 or ::. Values made "
        "of Jinja are not judged; credentials and headers never are, and never appear in a message."
    )
    severity = "HIGH"
    tags = ["preflight", "networking", "idempotency"]
    version_changed = "0.2.0"
    link = "https://github.com/preflight-nginx/preflight.nginx/blob/main/docs/lint/preflight-endpoint.md"
    needs_raw_task = True
    _reported_missing_engine = False

    def _error(self, file, line, tag, subject, problem):
        message = _describe(problem)
        if not message.startswith(subject + ":") and not message.startswith(subject + "="):
            message = "%s: %s" % (subject, message)
        if problem.get("severity") == "warning":
            match = self.create_matcherror(message=message, lineno=line, filename=file,
                                           tag="%s[bind-or-connect]" % self.id)
            match.level = "warning"  # what the value is for is not known: say why, do not fail the run
            return match
        return self.create_matcherror(message=message, lineno=line, filename=file, tag="%s[%s]" % (self.id, tag))

    def _missing_engine(self, file):
        if ENGINE_ERROR is None or PreflightEndpointRule._reported_missing_engine:
            return []
        PreflightEndpointRule._reported_missing_engine = True
        return [self.create_matcherror(
            message="the preflight.nginx engine cannot be imported (%s); install it where ansible-lint runs: "
                    "pip install preflight-nginx" % ENGINE_ERROR,
            lineno=1, filename=file, tag="%s[dependency]" % self.id)]

    def _variables(self, file, mapping, start, tag):
        errors = []
        if not isinstance(mapping, dict):
            return errors
        for key, value in mapping.items():
            if str(key).startswith("__"):
                continue
            if isinstance(value, (dict, list)) and _NGINX_DATA.search(str(key)):
                errors.extend(self._nginx_data(file, value, start, str(key)))
                continue
            if not env_endpoints.is_endpoint_key(str(key), PATTERN):
                continue
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                continue
            for problem in env_endpoints.judge(str(key), str(value)):
                errors.append(self._error(file, _key_line(file, key, start), tag, str(key), problem))
        return errors

    def _nginx_data(self, file, data, start, path):
        """Upstream servers and *_pass targets in nginx-shaped data: connect targets, wherever they sit.

        ``{upstreams: [{servers: [{address: 0.0.0.0, port: 8081}]}]}`` is the incident written as
        data; the same address under ``listen`` is where nginx binds, and fine.
        """
        errors = []
        cursor = [start]  # the data is walked in document order, so each value is found after the last

        def walk(node, where):
            if isinstance(node, list):
                for item in node:
                    walk(item, where)
                return
            if not isinstance(node, dict):
                return
            for key, value in node.items():
                key = str(key)
                if key.startswith("__"):
                    continue
                if isinstance(value, (dict, list)):
                    walk(value, where + "." + key)
                    continue
                target = self._nginx_target(node, key, value, where)
                if target is None:
                    continue
                cursor[0] = line = _key_line(file, key, cursor[0], value)
                for problem in _problems(target, host_only=key == "address"):
                    errors.append(self._error(file, line, "vars", (where + "." + key).lstrip("."),
                                              dict(problem, severity="error")))

        walk(data, path)
        return errors

    @staticmethod
    def _nginx_target(node, key, value, where):
        """The connect target a key of nginx-shaped data holds, or None."""
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            return None
        lowered = where.lower()
        if key in _PASS_KEYS or (key == "pass" and "proxy" in lowered):
            return str(value)
        if key in ("address", "server") and "upstream" in lowered and "listen" not in lowered:
            port = node.get("port")
            text = str(value)
            if port is not None and ":" not in text.replace("::", ""):
                text = "%s:%s" % ("[%s]" % text if ":" in text else text, port)
            return text
        return None

    def matchtask(self, task, file=None):
        if ENGINE_ERROR is not None:
            return self._missing_engine(file)
        errors = []
        line = task.get("__line__", 1)
        action = task["action"]
        module = _short(action.get("__ansible_module_original__") or action.get("__ansible_module__"))
        if module in _COMMAND_MODULES or (module == "cron" and action.get("job")):
            command = action.get("cmd") or action.get("_raw_params") or action.get("job") or ""
            if action.get("argv"):
                command = " ".join(shlex.quote(str(a)) for a in action["argv"])
            if isinstance(command, list):
                command = " ".join(str(a) for a in command)
            errors.extend(self._command(file, line, str(command), task.get("environment")))
        elif module in _URL_MODULES:
            for problem in _problems(action.get(_URL_MODULES[module])):
                errors.append(self._error(file, line, "uri", "%s url" % module, problem))
        elif module == "wait_for" and action.get("host") is not None:
            errors.extend(self._wait_for(file, line, action))
        raw = task.get("__raw_task__", task)
        errors.extend(self._variables(file, task.get("environment"), line, "environment"))
        errors.extend(self._variables(file, raw.get("vars") if isinstance(raw, dict) else None, line, "vars"))
        return errors

    def _command(self, file, line, command, environment):
        """A task's command line or script, read by the same shell reader as scripts on disk.

        The task's environment: (when it is not Jinja) feeds the variables the script uses.
        """
        variables = {}
        if isinstance(environment, dict):
            variables = {str(k): str(v) for k, v in environment.items()
                         if isinstance(v, (str, int)) and "{{" not in str(v)}
        source = endpoint_scan.base.Source(str(getattr(file, "path", file)), command, variables)
        errors = []
        for use in shell_reader.read_shell(source, command, 1, dict(variables), judge_exports=False):
            for finding in endpoint_scan.judge_use(use):
                tool = use.feeds.split(" ", 1)[0]
                message = re.sub(r"^%s \S+: " % re.escape(tool), "", finding.message)
                problem = {"code": finding.rule, "message": message, "hint": finding.hint,
                           "severity": finding.severity}
                errors.append(self._error(file, line, "curl", tool, problem))
        return errors

    def matchlines(self, file):
        """Scripts, units, crontabs, Dockerfiles, Makefiles and env files, and their Jinja templates."""
        path = str(file.path)
        name = path[:-3] if path.endswith(".j2") else path
        if name.endswith((".yml", ".yaml", ".json", ".md")) or ENGINE_ERROR is not None:
            return []
        try:
            text = file.content
        except (OSError, UnicodeDecodeError):
            return []
        origin = None
        if path.endswith(".j2") or "{{" in text or "{%" in text:
            text, origin = _without_jinja(text)
        result = endpoint_scan.scan_text(name, text, kinds=_FILE_KINDS)
        for finding in result.findings:  # back to the template's own lines
            if origin and 1 <= finding.line <= len(origin):
                finding.line = origin[finding.line - 1]
        return [self.create_matcherror(message=f.message + (" (%s)" % f.hint if f.hint else ""),
                                       lineno=f.line, filename=file, tag="%s[file]" % self.id)
                for f in result.findings if f.severity == "error"] + [
            self._warning(file, f) for f in result.findings if f.severity == "warning"]

    def _warning(self, file, finding):
        match = self.create_matcherror(message=finding.message, lineno=finding.line, filename=file,
                                       tag="%s[bind-or-connect]" % self.id)
        match.level = "warning"
        return match

    def _wait_for(self, file, line, action):
        host = str(action["host"])
        port = action.get("port")
        if ":" in host and not host.startswith("["):
            host = "[%s]" % host
        value = "%s:%s" % (host, port) if port is not None else host
        if "{{" in value:
            return []
        if str(action.get("state") or "started") == "started":
            problems = _problems(value, host_only=True)  # waits until it can connect: a connect target
        else:
            problems = env_endpoints.bind_problems(value)  # drained, stopped...: 0.0.0.0 means any address
        return [self._error(file, line, "uri", "wait_for", problem) for problem in problems]

    def matchplay(self, file, data):
        if ENGINE_ERROR is not None:
            return self._missing_engine(file)
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
            if ENGINE_ERROR is not None:
                return self._missing_engine(file)
            return self._variables(file, file.data, 1, "vars")
        return super().matchyaml(file)
