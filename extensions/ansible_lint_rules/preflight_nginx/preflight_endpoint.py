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
    env_endpoints = preflight_engine.load("env_endpoints")
    ENGINE_ERROR = None
except ImportError as exc:  # reported as a finding: a missing engine must not pass the run
    addresses = env_endpoints = None
    ENGINE_ERROR = str(exc)

# Endpoint-like variable names; override with PREFLIGHT_ENDPOINT_PATTERN.
PATTERN = os.environ.get("PREFLIGHT_ENDPOINT_PATTERN", env_endpoints.DEFAULT_PATTERN if env_endpoints else "")
CURL_LIKE = {"curl", "wget", "ab", "wrk"}
HTTPIE = {"http", "https", "xh", "xhs"}
SOCKET_TOOLS = {"nc", "ncat", "netcat", "telnet"}
NETWORK_TOOLS = CURL_LIKE | HTTPIE | SOCKET_TOOLS
# Options that take a value that is not an address (credentials, headers, data, files, numbers):
# the value is skipped, so it is neither judged nor printed.
_VALUE_OPTIONS = {
    "curl": {"-u", "--user", "-U", "--proxy-user", "-H", "--header", "--proxy-header", "-b", "--cookie",
             "-c", "--cookie-jar", "-d", "--data", "--data-raw", "--data-binary", "--data-urlencode",
             "--data-ascii", "--json", "-F", "--form", "--form-string", "-A", "--user-agent", "-e", "--referer",
             "-o", "--output", "-T", "--upload-file", "-E", "--cert", "--key", "--cacert", "--capath", "--pass",
             "-K", "--config", "-w", "--write-out", "-X", "--request", "-m", "--max-time", "--connect-timeout",
             "--retry", "--retry-delay", "--retry-max-time", "-r", "--range", "-y", "--speed-time", "-Y",
             "--speed-limit", "--limit-rate", "-C", "--continue-at", "--oauth2-bearer", "--aws-sigv4",
             "--netrc-file", "--unix-socket", "--abstract-unix-socket", "--interface", "--dns-servers",
             "-D", "--dump-header", "--stderr", "--trace", "--trace-ascii", "--max-filesize", "--resolve",
             "--connect-to", "--url-query", "--variable", "-Q", "--quote", "--proxy-cacert", "--proxy-cert",
             "--proxy-key", "--proxy-pass", "--cert-type", "--key-type", "--ciphers", "--tls-max"},
    "wget": {"--user", "--password", "--http-user", "--http-password", "--proxy-user", "--proxy-password",
             "--ftp-user", "--ftp-password", "--header", "-O", "-o", "-a", "--post-data", "--post-file",
             "--body-data", "--body-file", "-e", "--execute", "-U", "--user-agent", "-T", "--timeout", "-t",
             "--tries", "-P", "--load-cookies", "--save-cookies", "--ca-certificate", "--certificate",
             "--private-key", "-w", "--wait", "--bind-address", "-i", "--input-file", "-B", "--base",
             "--method", "--referer"},
    "http": {"-a", "--auth", "-A", "--auth-type", "--session", "--session-read-only", "-o", "--output",
             "--verify", "--cert", "--cert-key", "--timeout", "-p", "--print", "--pretty", "-s", "--style",
             "--max-redirects", "--ssl", "--ciphers", "--proxy", "--boundary", "--format-options"},
    "ab": {"-A", "-P", "-C", "-H", "-c", "-n", "-t", "-s", "-b", "-T", "-p", "-u", "-g", "-e", "-X", "-B",
           "-E", "-Z", "-f", "-m", "-l", "-v"},
    "wrk": {"-c", "--connections", "-d", "--duration", "-t", "--threads", "-s", "--script", "-H", "--header",
            "--timeout"},
    "nc": {"-w", "-p", "-s", "-i", "-q", "-x", "-X", "-I", "-O", "-T", "-V", "-e", "-c", "-m"},
}
# Options whose value is an address a client connects to.
_ADDRESS_OPTIONS = {"-x", "--proxy", "--url", "--preproxy"}
_HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
_WRAPPERS = {"sudo", "env", "command", "exec", "nice", "nohup", "time", "timeout"}
_SHELL_OPERATORS = {"|", "||", "&&", ";", "&", ";;", "(", ")"}
_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.%]+\]|[A-Za-z0-9_.-]+):[^/\s]*$")
_COMMAND_MODULES = {"command", "shell", "raw"}
_URL_MODULES = {"uri": "url", "get_url": "url", "http_check": "url"}
# Keys of nginx-shaped data (nginxinc's nginx_config role and the like) that name where nginx connects.
_PASS_KEYS = {"proxy_pass", "grpc_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass", "memcached_pass"}
_NGINX_DATA = re.compile(r"(?i)nginx|upstream|proxy|location")


def _short(module):
    return str(module or "").rsplit(".", 1)[-1]


def _problems(value, host_only=False):
    """Problems of a connect target; each problem's message names the value with no user or password."""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return []
    text = addresses.redact(str(value))
    if "{{" in text or "{%" in text:
        return []
    return env_endpoints.target_problems(text, host_only)  # file:///, unix:///... name no network host


def _describe(problem):
    message = re.sub(r"^endpoint: ", "", problem["message"])
    return message + (" (%s)" % problem["hint"] if problem.get("hint") else "")


def _tokens(command):
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        return list(lexer)
    except ValueError:
        return command.split()


def command_targets(command):
    """(tool, value) for every address a network tool in a command line connects to."""
    segments, current = [], []
    for token in _tokens(command):
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
        family = "http" if tool in HTTPIE else "nc" if tool in SOCKET_TOOLS else tool
        positional, option_values = _split_arguments(segment[1:], _VALUE_OPTIONS.get(family, set()))
        found.extend((tool, value) for value in option_values)
        if family == "nc":
            if positional:
                host = positional[0]
                if ":" in host and not host.startswith("["):
                    host = "[%s]" % host
                found.append((tool, host + (":" + positional[1] if len(positional) > 1 else "")))
        elif family == "http":
            # [METHOD] URL [REQUEST_ITEM ...]: the items (X-Token:abc, a=b) are headers and data.
            if positional and positional[0].upper() in _HTTP_METHODS:
                positional = positional[1:]
            if positional:
                url = positional[0]
                found.append((tool, "localhost" + url if url.startswith(":") else url))
        else:
            found.extend((tool, arg) for arg in positional if "://" in arg or _HOST_PORT.match(arg))
    return found


def _split_arguments(args, value_options):
    """(positional arguments, values of address options); values of other options are dropped."""
    positional, addresses_found = [], []
    skip_next = take_next = False
    for arg in args:
        if skip_next or take_next:
            if take_next:
                addresses_found.append(arg)
            skip_next = take_next = False
            continue
        if arg.startswith("-"):
            name = arg.split("=", 1)[0]
            if "=" in arg:
                if name in _ADDRESS_OPTIONS:
                    addresses_found.append(arg.split("=", 1)[1])
            elif name in _ADDRESS_OPTIONS:
                take_next = True
            elif name in value_options:
                skip_next = True
            continue
        positional.append(arg)
    return positional, addresses_found


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
            errors.extend(self._wait_for(file, line, action))
        raw = task.get("__raw_task__", task)
        errors.extend(self._variables(file, task.get("environment"), line, "environment"))
        errors.extend(self._variables(file, raw.get("vars") if isinstance(raw, dict) else None, line, "vars"))
        return errors

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
