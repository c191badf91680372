# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which address a command line connects to: curl, wget, httpie, ab, wrk, nc, telnet.

One parser for every front-end (the lint rules, the endpoint readers, the
monitor), so they agree on what a command connects to:

* the target argument of each tool (curl's URLs, httpie's ``[METHOD] URL``,
  nc's ``HOST PORT``);
* curl's ``--resolve HOST:PORT:ADDR`` and ``--connect-to H1:P1:H2:P2`` (the
  connection goes to ADDR or H2:P2, not to the URL's host), ``-x``/``--proxy``
  (the connection goes to the proxy), ``--unix-socket`` (no TCP connection at
  all: the URL's host is only a Host header);
* values of credential, header, data and file options (``-u``, ``-H``,
  ``--password``...) are skipped: never judged, never printed.

A shell ``-c`` string and ``$( )`` or backtick substitutions are read as
commands of their own. ``$VAR`` and ``${VAR}`` are replaced from the variables
given; a target that still holds a variable is returned with ``unknown`` set,
and not judged: nobody can know its value here.
"""

from __future__ import annotations

import os
import re
import shlex

from ansible_collections.preflight.nginx.plugins.module_utils import addresses, env_endpoints

CURL_LIKE = {"curl", "wget", "ab", "wrk"}
HTTPIE = {"http", "https", "xh", "xhs"}
SOCKET_TOOLS = {"nc", "ncat", "netcat", "telnet"}
NETWORK_TOOLS = CURL_LIKE | HTTPIE | SOCKET_TOOLS
SHELLS = {"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox"}
# Options that take a value that is not an address (credentials, headers, data, files, numbers):
# the value is skipped, so it is neither judged nor printed.
VALUE_OPTIONS = {
    "curl": {"-u", "--user", "-U", "--proxy-user", "-H", "--header", "--proxy-header", "-b", "--cookie",
             "-c", "--cookie-jar", "-d", "--data", "--data-raw", "--data-binary", "--data-urlencode",
             "--data-ascii", "--json", "-F", "--form", "--form-string", "-A", "--user-agent", "-e", "--referer",
             "-o", "--output", "-T", "--upload-file", "-E", "--cert", "--key", "--cacert", "--capath", "--pass",
             "-K", "--config", "-w", "--write-out", "-X", "--request", "-m", "--max-time", "--connect-timeout",
             "--retry", "--retry-delay", "--retry-max-time", "-r", "--range", "-y", "--speed-time", "-Y",
             "--speed-limit", "--limit-rate", "-C", "--continue-at", "--oauth2-bearer", "--aws-sigv4",
             "--netrc-file", "--interface", "--dns-servers", "--dns-interface", "--dns-ipv4-addr",
             "--dns-ipv6-addr", "--local-port", "--noproxy",
             "-D", "--dump-header", "--stderr", "--trace", "--trace-ascii", "--max-filesize",
             "--url-query", "--variable", "-Q", "--quote", "--proxy-cacert", "--proxy-cert",
             "--proxy-key", "--proxy-pass", "--cert-type", "--key-type", "--ciphers", "--tls-max",
             "--expect100-timeout", "--happy-eyeballs-timeout-ms", "--keepalive-time", "--max-redirs",
             "--create-file-mode", "--output-dir", "--hsts", "--alt-svc", "--etag-save", "--etag-compare",
             "--pinnedpubkey", "--crlfile", "--login-options", "--sasl-authzid", "--mail-from", "--mail-rcpt",
             "--proto", "--proto-redir", "--proto-default", "--request-target", "--parallel-max", "-z",
             "--time-cond", "--unix-socket", "--abstract-unix-socket", "--resolve", "--connect-to"},
    "wget": {"--user", "--password", "--http-user", "--http-password", "--proxy-user", "--proxy-password",
             "--ftp-user", "--ftp-password", "--header", "-O", "-o", "-a", "--post-data", "--post-file",
             "--body-data", "--body-file", "-e", "--execute", "-U", "--user-agent", "-T", "--timeout", "-t",
             "--tries", "-P", "--load-cookies", "--save-cookies", "--ca-certificate", "--certificate",
             "--private-key", "-w", "--wait", "--bind-address", "-i", "--input-file", "-B", "--base",
             "--method", "--referer", "--output-document", "--output-file", "--directory-prefix",
             "--dns-timeout", "--connect-timeout", "--read-timeout", "-Q", "--quota", "-l", "--level"},
    "http": {"-a", "--auth", "-A", "--auth-type", "--session", "--session-read-only", "-o", "--output",
             "--verify", "--cert", "--cert-key", "--timeout", "-p", "--print", "--pretty", "-s", "--style",
             "--max-redirects", "--ssl", "--ciphers", "--proxy", "--boundary", "--format-options"},
    "ab": {"-A", "-P", "-C", "-H", "-c", "-n", "-t", "-s", "-b", "-T", "-p", "-u", "-g", "-e", "-X", "-B",
           "-E", "-Z", "-f", "-m", "-l", "-v"},
    "wrk": {"-c", "--connections", "-d", "--duration", "-t", "--threads", "-s", "--script", "-H", "--header",
            "--timeout", "-R", "--rate"},
    "nc": {"-w", "-p", "-s", "-i", "-q", "-x", "-X", "-I", "-O", "-T", "-V", "-e", "-c", "-m", "--sh-exec",
           "--exec", "--lua-exec", "-g", "-G", "--proxy-type", "--proxy-auth", "--source", "--source-port"},
}
# Options whose value is an address a client connects to (curl's proxies, wget has none).
ADDRESS_OPTIONS = {"-x", "--proxy", "--url", "--preproxy"}
_NO_PROXY_TOOLS = {"http", "ab", "wrk"}  # their --proxy/-x/-X mean other things, or are value options
_HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
_WRAPPERS = {"sudo", "env", "command", "exec", "nice", "nohup", "time", "timeout", "ionice", "chronic",
             "flock", "su-exec", "gosu", "tini", "dumb-init", "xargs", "watch", "stdbuf", "setsid", "eval",
             "!", "then", "else", "do", "if", "while", "until", "{"}
# Wrapper options that take a value (timeout's duration is positional and handled below).
_WRAPPER_VALUES = {"-u", "--user", "-g", "--group", "-n", "-c", "-w", "-d", "--signal", "-s", "-k",
                   "--kill-after", "-I", "-E", "-L", "--interval"}
# Commands that run a command line somewhere else, and the subcommands that do it.
_ELSEWHERE = {"docker": {"exec", "run"}, "podman": {"exec", "run"}, "nerdctl": {"exec", "run"},
              "kubectl": {"exec", "run", "debug"}, "oc": {"exec", "rsh"}, "ssh": None}
SHELL_OPERATORS = {"|", "||", "&&", ";", "&", ";;", "(", ")", "|&", "((", "))"}
_REDIRECTIONS = {">", ">>", "<", "<<", "<<<", ">&", "<&", "&>", "&>>", ">|", "2>", "2>>", "1>"}
_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.%]+\]|[A-Za-z0-9_.-]+):[^/\s]*$")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
_DURATION = re.compile(r"^\d+(\.\d+)?[smhd]?$")


class Target:
    """An address one tool in a command connects to.

    ``value`` is the address with known variables replaced; ``raw`` as written;
    ``source`` says where it came from (``url``, ``--resolve``, ``-x``...);
    ``variables`` names the variables that made it, ``unknown`` those nobody
    knows here (the target is then not judged).
    """

    __slots__ = ("tool", "value", "raw", "source", "variables", "unknown", "host_only")

    def __init__(self, tool, value, raw=None, source="url", variables=(), unknown=(), host_only=False):
        self.tool = tool
        self.value = value
        self.raw = value if raw is None else raw
        self.source = source
        self.variables = tuple(variables)
        self.unknown = tuple(unknown)
        self.host_only = host_only

    def __repr__(self):
        return "Target(%s %s %r)" % (self.tool, self.source, self.value)


def tokens(command):
    """Shell words and operators of ``command`` (quotes removed, comments dropped)."""
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words = list(lexer)
    except ValueError:  # an unterminated quote: read the words as they stand
        return command.split()
    # shlex runs operators together (");", "&&(" ): split them into the shell's own
    out = []
    for word in words:
        if word and not word.strip("();<>|&") and word not in SHELL_OPERATORS and word not in _REDIRECTIONS:
            out.extend(_split_operators(word))
        else:
            out.append(word)
    return out


def _split_operators(word):
    parts = []
    while word:
        for size in (3, 2, 1):
            if word[:size] in SHELL_OPERATORS or word[:size] in _REDIRECTIONS or size == 1:
                parts.append(word[:size])
                word = word[size:]
                break
    return parts


def expand(text, variables):
    """(text with known $VAR/${VAR} replaced, names used, names unknown)."""
    used, unknown = [], []

    def replace(match):
        name = match.group(1) or match.group(4)
        if variables is not None and name in variables:
            used.append(name)
            value = variables[name]
            if value == "" and match.group(2) and match.group(2).startswith(":"):
                return match.group(3) or ""
            return value
        if match.group(2) is not None and match.group(3) and "$" not in match.group(3):
            used.append(name)  # ${VAR:-default}: the default is what runs when VAR is not set
            return match.group(3)
        unknown.append(name)
        return match.group(0)

    return _VARIABLE.sub(replace, text), used, unknown


def assignments(command):
    """[(name, value)] of ``NAME=value`` and ``export NAME=value`` words that set shell variables."""
    found = []
    for segment in _segments(tokens(command)):
        words = segment[1:] if segment and segment[0] in ("export", "readonly", "local", "declare") else segment
        for word in words:
            match = _ASSIGNMENT.match(word)
            if not match:
                break
            found.append((match.group(1), match.group(2)))
    return found


def _segments(words):
    segments, current = [], []
    array = False  # inside NAME=( ... ): the words are values, not a command
    for index, word in enumerate(words):
        if array:
            array = word != ")"
            continue
        if word == "(" and index and words[index - 1].endswith("=") and _ASSIGNMENT.match(words[index - 1]):
            array = True
            continue
        if word in SHELL_OPERATORS:
            segments.append(current)
            current = []
        else:
            current.append(word)
    segments.append(current)
    return segments


def command_targets(command):
    """(tool, value) for every address a network tool in a command line connects to."""
    return [(t.tool, t.value) for t in targets(command) if not t.unknown]


def targets(command, variables=None, depth=0):
    """Every :class:`Target` of the network tools in ``command`` (a string or an argv list)."""
    found = []
    if isinstance(command, (list, tuple)):
        words = [str(word) for word in command]
    else:
        # `cmd` may span several words: read each as a command of its own, and leave a word in its place.
        parts = str(command).split("`")
        if depth < 3:
            for inner in parts[1:-1:2]:
                found.extend(targets(inner, variables, depth + 1))
        words = tokens("SUBST".join(parts[0::2]) if len(parts) > 2 else str(command))
    local = dict(variables or {})
    for segment in _segments(words):
        found.extend(_segment_targets(segment, local, depth))
    return found


def _segment_targets(segment, variables, depth):
    found = []
    for word in segment:  # "$(curl ...)" inside a word is a command too
        if depth < 3 and "$(" in word:
            for inner in _substitutions(word):
                found.extend(targets(inner, variables, depth + 1))
    segment = [w for i, w in enumerate(segment) if w not in _REDIRECTIONS
               and (i == 0 or segment[i - 1] not in _REDIRECTIONS)]
    while segment:
        first = segment[0]
        match = _ASSIGNMENT.match(first)
        if match and not first.startswith("-"):
            variables = dict(variables)  # FOO=bar curl ...: FOO holds for this command only
            variables[match.group(1)] = expand(match.group(2), variables)[0]
            segment = segment[1:]
        elif os.path.basename(first) in _WRAPPERS:
            segment = _skip_wrapper(os.path.basename(first), segment[1:])
        else:
            break
    if not segment:
        return found
    if segment[0].startswith("$") and depth < 3:
        # $sh_c "curl ...", $SUDO curl ...: a command named by a variable. Known, it is read as
        # what it holds; unknown, it is taken for a wrapper, and a one-word argument for a script.
        value, _used, unknown = expand(segment[0], variables)
        rest = " ".join(shlex.quote(word) for word in segment[1:])
        if not unknown:
            return found + targets(value + " " + rest, variables, depth + 1)
        if len(segment) == 2 and " " in segment[1]:
            return found + targets(segment[1], variables, depth + 1)
        return found + targets(rest, variables, depth + 1)
    name = os.path.basename(segment[0])
    if name in _ELSEWHERE and depth < 3:
        return found + _elsewhere_targets(name, segment, variables, depth)
    if name in SHELLS and depth < 3:
        for index, word in enumerate(segment[1:-1], 1):
            if word == "-c" or (word.startswith("-") and not word.startswith("--") and "c" in word[1:]):
                found.extend(targets(segment[index + 1], variables, depth + 1))
                break
        return found
    if name not in NETWORK_TOOLS:
        return found
    found.extend(_tool_targets(name, segment[1:], variables))
    return found


def _elsewhere_targets(name, segment, variables, depth):
    """curl run in a container or on another host (docker exec web curl ..., ssh web1 'curl ...'):
    still a connect target, read from the first network tool or shell after the command's own words."""
    subcommands = _ELSEWHERE[name]
    if subcommands and not any(word in subcommands for word in segment[1:]):
        return []  # docker ps, kubectl get...: nothing runs
    for index, word in enumerate(segment[1:], 1):
        base = os.path.basename(word)
        if (base in NETWORK_TOOLS or base in SHELLS) and ":" not in word and "=" not in word:  # not -v a:b
            return _segment_targets(segment[index:], variables, depth + 1)
        if " " in word and name == "ssh":
            return targets(word, variables, depth + 1)  # ssh host 'curl ...': the remote command line
    return []


def _skip_wrapper(name, rest):
    """The words after a wrapper (sudo -u www, timeout 5, env -i, flock /lock) and its options."""
    while rest and rest[0].startswith("-") and rest[0] != "-":
        option = rest[0]
        rest = rest[1:]
        if option in _WRAPPER_VALUES and "=" not in option and rest:
            rest = rest[1:]
    if name == "timeout" and rest and _DURATION.match(rest[0]):
        rest = rest[1:]
    if name == "flock" and rest:
        rest = rest[1:]
    if name == "watch" and rest and _DURATION.match(rest[0]):
        rest = rest[1:]
    return rest


def _substitutions(word):
    """The commands inside the ``$( ... )`` of one word."""
    found = []
    start = word.find("$(")
    while start != -1:
        depth, index = 1, start + 2
        while index < len(word) and depth:
            depth += {"(": 1, ")": -1}.get(word[index], 0)
            index += 1
        found.append(word[start + 2:index - 1] if depth == 0 else word[start + 2:])
        start = word.find("$(", index)
    return found


def _tool_targets(tool, args, variables):
    family = "http" if tool in HTTPIE else "nc" if tool in SOCKET_TOOLS else tool
    value_options = VALUE_OPTIONS.get(family, set())
    address_options = set() if family in _NO_PROXY_TOOLS or family == "wget" else ADDRESS_OPTIONS
    positional, options = _split_arguments(args, value_options, address_options,
                                           curl_extra=family == "curl")
    found = []
    unix_socket = False
    for option, value in options:
        if option in ("--unix-socket", "--abstract-unix-socket"):
            unix_socket = True
        elif option == "--resolve":
            found.extend(_resolve_targets(tool, value, variables))
        elif option == "--connect-to":
            found.extend(_connect_to_targets(tool, value, variables))
        else:
            found.append(_target(tool, value, option, variables))
    if family == "nc":
        if positional:
            host = positional[0]
            if ":" in host and not host.startswith("[") and "$" not in host:
                host = "[%s]" % host
            value = host + (":" + positional[1] if len(positional) > 1 else "")
            found.append(_target(tool, value, "host", variables, host_only=len(positional) == 1))
    elif family == "http":
        # [METHOD] URL [REQUEST_ITEM ...]: the items (X-Token:abc, a=b) are headers and data.
        if positional and positional[0].upper() in _HTTP_METHODS:
            positional = positional[1:]
        if positional and not unix_socket:
            url = positional[0]
            found.append(_target(tool, "localhost" + url if url.startswith(":") else url, "url", variables))
    elif not unix_socket:  # through a socket the URL's host is only the Host header
        for arg in positional:
            expanded = expand(arg, variables)[0]
            if "://" in expanded or _HOST_PORT.match(expanded) or _only_variable(expanded):
                found.append(_target(tool, arg, "url", variables))
    return found


def _only_variable(text):
    """A word that is one unknown variable ($URL, "${BACKEND}/health"): a target nobody can know here."""
    return bool(re.match(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?(/|$)", text))


def _target(tool, raw, source, variables, host_only=False):
    value, used, unknown = expand(raw, variables)
    if unknown and "$" not in _authority(value):
        # "http://${BACKEND}${path}" with BACKEND known: a variable in the path does not change
        # where the connection goes, so the address is judged with the path cut off.
        value = value[:len(value) - len(value.split("://", 1)[-1])] + _authority(value)
        unknown = []
    return Target(tool, value, raw, source, used, unknown, host_only)


def _authority(value):
    """The host[:port] part of a URL or host:port/path (user and password included)."""
    rest = value.split("://", 1)[1] if "://" in value else value
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    port_then_variable = re.match(r"^([^$]+:[0-9]+)\$", authority)  # http://0:80${path}
    return port_then_variable.group(1) if port_then_variable else authority


def _resolve_targets(tool, value, variables):
    # --resolve [+]HOST:PORT:ADDR[,ADDR...]: connections to HOST:PORT go to ADDR:PORT instead.
    value = value.lstrip("+")
    parts = value.split(":", 2)
    if len(parts) < 3:
        return [_target(tool, value, "--resolve", variables)]
    port = parts[1]
    found = []
    for address in parts[2].split(","):
        address = address.strip()
        if ":" in address and not address.startswith("["):
            address = "[%s]" % address
        found.append(_target(tool, "%s:%s" % (address, port), "--resolve", variables))
    return found


def _connect_to_targets(tool, value, variables):
    # --connect-to HOST1:PORT1:HOST2:PORT2: an empty HOST2 or PORT2 keeps the URL's.
    match = re.match(r"^(\[[^\]]*\]|[^:]*):([^:]*):(\[[^\]]*\]|[^:]*):([^:]*)$", value)
    if not match:
        return [_target(tool, value, "--connect-to", variables)]
    host, port = match.group(3), match.group(4)
    if not host:
        return []  # only the port changes: the URL's host is judged as the URL
    return [_target(tool, "%s:%s" % (host, port) if port else host, "--connect-to", variables,
                    host_only=not port)]


def _split_arguments(args, value_options, address_options=None, curl_extra=False):
    """(positional arguments, [(option, value)] of address options); other options' values are dropped.

    For curl, --resolve, --connect-to and --unix-socket are kept too: they change where it connects.
    """
    kept = set(ADDRESS_OPTIONS if address_options is None else address_options)
    if curl_extra:
        kept |= {"--resolve", "--connect-to", "--unix-socket", "--abstract-unix-socket"}
    positional, found = [], []
    skip_next = False
    take_next = None
    for arg in args:
        if take_next:
            found.append((take_next, arg))
            take_next = None
            continue
        if skip_next:
            skip_next = False
            continue
        if arg == "--":
            continue
        if arg.startswith("-") and len(arg) > 1:
            name = arg.split("=", 1)[0]
            if "=" in arg and name.startswith("--"):
                if name in kept:
                    found.append((name, arg.split("=", 1)[1]))
            elif name in kept:
                take_next = name
            elif name in value_options:
                skip_next = True
            elif not arg.startswith("--"):
                take_next, skip_next = _short_cluster(arg, value_options, kept, found)
            continue
        positional.append(arg)
    return positional, found


def _short_cluster(arg, value_options, kept, found):
    """-sSo FILE, -fsSLx PROXY, -H"X: y": letters up to the first that takes a value, glued or next.

    Returns (take_next, skip_next) for the word after the cluster.
    """
    for index in range(1, len(arg)):
        option = "-" + arg[index]
        glued = arg[index + 1:]
        if option in kept:
            if glued:
                found.append((option, glued))
                return None, False
            return option, False
        if option in value_options:
            return None, not glued
    return None, False


def connect_problems(value, host_only=False):
    """Problems of a connect target; each message names the value with no user or password."""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return []
    text = addresses.redact(str(value))
    if "{{" in text or "{%" in text or "$" in text:
        return []
    return env_endpoints.target_problems(text, host_only)  # the one judge: file:///, unix:///... name no host


def target_problems(target):
    """Problems of one :class:`Target` (none when it holds a variable nobody knows here)."""
    if target.unknown:
        return []
    return connect_problems(target.value, target.host_only)
