# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A throwaway nginx on the new configuration, health-checked before the live nginx sees it.

The gate's health checks used to run after the reload, so a config that
validates but serves errors (a proxy to a dead port) answered real clients
until the rollback. The preview starts a second nginx (same binary, same
``user``) on the new tree with every ``listen`` moved to a free loopback port
and everything it would write (pid, logs, temp and cache folders) moved to
the deploy's scratch folder; the checks run against it with their URLs
unchanged (same Host, same SNI), curl's ``--connect-to`` sending them to the
preview's port. Only a preview that passes lets the gate go on.

Whatever cannot be previewed faithfully is said (``preview skipped: <why>``),
never guessed around.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from ansible_collections.preflight.nginx.plugins.module_utils import addresses, nginx_config
from ansible_collections.preflight.nginx.plugins.module_utils.host import http_probe, nginx_process
from ansible_collections.preflight.nginx.plugins.module_utils.nginx_directives import holds_values

try:
    import crossplane
except ImportError:  # the loader reports the missing library
    crossplane = None

FOLDER = "preview"  # inside the deploy's scratch folder
STATE = "state.json"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0

# Relative file arguments nginx reads from its configuration folder (the -c file's folder, which for
# the preview is the scratch folder): made absolute so they are read where the live nginx reads them.
_CONF_RELATIVE = re.compile(r"^((proxy|grpc|uwsgi)_)?ssl_(certificate|certificate_key|trusted_certificate|"
                            r"client_certificate|crl|dhparam|password_file|session_ticket_key|stapling_file)$"
                            r"|^auth_basic_user_file$")
_TEMP_PATHS = ("client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path",
               "scgi_temp_path")
_CACHE_PATHS = ("proxy_cache_path", "fastcgi_cache_path", "uwsgi_cache_path", "scgi_cache_path")
_STORES = ("proxy_store", "fastcgi_store", "uwsgi_store", "scgi_store")
# The preview sets these itself.
_REPLACED = ("daemon", "worker_processes", "worker_cpu_affinity", "pid", "lock_file")
# Listen parameters that only tune the live socket: a second socket with SO_REUSEPORT on a port would
# let others share it, and ipv6only is about a wildcard the preview does not bind.
_SOCKET_ONLY = ("reuseport", "ipv6only")


_PASSES = ("proxy_pass", "grpc_pass", "uwsgi_pass", "fastcgi_pass", "scgi_pass", "memcached_pass")
# A literal connect target: [scheme://]host[:port][/uri].
_TARGET = re.compile(r"^(?P<scheme>[a-z]+://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^/:\[\]$]+)(:(?P<port>\d+))?(?P<rest>/.*)?$")


class Skipped(Exception):
    """The new configuration cannot be previewed faithfully; the message says why."""


class Failed(Exception):
    """The preview ran and a health check failed on it (or it did not start): the new config is bad."""


def _side_effects(directive):
    """Why this directive's effects cannot be kept to the scratch folder, or None."""
    name = directive.name
    if name.startswith("perl"):
        return "%s:%s: %s runs embedded Perl, whose effects a preview cannot keep to itself" % (
            directive.file, directive.line, name)
    if "by_lua" in name:
        return "%s:%s: %s runs Lua code, whose effects a preview cannot keep to itself" % (
            directive.file, directive.line, name)
    if name in _STORES and directive.args and directive.args[0] != "off":
        return "%s:%s: %s writes responses into the live file tree" % (directive.file, directive.line, name)
    if name == "google_perftools_profiles":
        return "%s:%s: %s writes profiles outside the scratch folder" % (directive.file, directive.line, name)
    return None


def free_port(family, transport="tcp"):
    """A port the kernel says is free on the loopback of ``family`` (nginx binds it a moment later)."""
    kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    with socket.socket(family, kind) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _live_sockets(endpoint, protocol, transport):
    """The sockets (transport, family, address, port) nginx binds for one listen address."""
    if endpoint.kind == "wildcard" or (endpoint.kind == "ipv4" and endpoint.address == "0.0.0.0"):
        return [(transport, socket.AF_INET, "0.0.0.0", endpoint.port)]
    if endpoint.kind == "ipv4":
        return [(transport, socket.AF_INET, endpoint.address, endpoint.port)]
    if endpoint.kind == "ipv6":
        return [(transport, socket.AF_INET6, str(ipaddress.ip_address(endpoint.address)), endpoint.port)]
    if endpoint.kind == "name":  # nginx looks the name up once and listens on every address
        try:
            infos = socket.getaddrinfo(endpoint.host, endpoint.port, 0, socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise Skipped("listen %s: the name does not resolve here (%s)" % (endpoint.raw, exc)) from None
        found = []
        for family, _kind, _proto, _name, address in infos:
            key = (transport, family, str(ipaddress.ip_address(address[0].split("%")[0])), endpoint.port)
            if key not in found:
                found.append(key)
        return found
    raise Skipped("listen %s in %s cannot be read as an address" % (endpoint.raw, protocol))


def _display(key):
    transport, family, address, port = key
    text = ("[%s]:%d" if family == socket.AF_INET6 else "%s:%d") % (address, port)
    return text + ("/udp" if transport == "udp" else "")


class Plan:
    """The preview's configuration and where its sockets are."""

    def __init__(self, folder, work):
        self.folder = folder
        self.work = work
        self.sockets = {}  # live socket key -> preview (family, address, port)
        self.ipv6only_off = set()  # live [::]:port keys that also take IPv4 connections
        self.dropped = []  # what the preview leaves out (servers on UNIX sockets only)
        self.counter = 0
        self.config_path = os.path.join(folder, "nginx.conf")
        self.pid_path = os.path.join(folder, "nginx.pid")
        self.error_log = os.path.join(folder, "error.log")
        self.access_log = os.path.join(folder, "access.log")

    def preview_socket(self, key, allocate):
        if key not in self.sockets:
            transport, family = key[0], key[1]
            try:
                port = allocate(family, transport)
            except OSError as exc:
                loopback = "[::1]" if family == socket.AF_INET6 else "127.0.0.1"
                raise Skipped("no free %s port on %s for the preview of %s (%s)" % (
                    transport.upper(), loopback, _display(key), exc.strerror or exc)) from None
            self.sockets[key] = (family, "::1" if family == socket.AF_INET6 else "127.0.0.1", port)
        return self.sockets[key]

    def scratch_path(self, what):
        self.counter += 1
        return os.path.join(self.work, "%s-%d" % (what, self.counter))


class _Builder:
    """Rewrites the loaded tree into the preview's one flat file (includes are already expanded)."""

    def __init__(self, plan, conf_dir, staged, allocate):
        self.plan = plan
        self.conf_dir = conf_dir
        self.staged = staged or {}
        self.allocate = allocate
        self.unix_only = []
        self.rewrite_targets = False  # the second pass, once every live socket has its preview socket

    def path_arg(self, directive, arg):
        """An argument naming a file: absolute when nginx reads it relative to its configuration folder,
        and the staged file when the deploy changes it (read with the mode and owner it will have live)."""
        if (_CONF_RELATIVE.match(directive.name) and arg and not os.path.isabs(arg) and not arg.startswith("$")
                and not re.match(r"^(data|engine):", arg)):
            arg = os.path.join(self.conf_dir, arg)
        return self.staged.get(os.path.normpath(arg), arg) if os.path.isabs(arg) else arg

    def target_arg(self, arg):
        """A target that is one of this configuration's own sockets (a server proxying to another server
        of the same nginx) goes to that server's preview socket: the live one still runs the old config."""
        match = _TARGET.match(arg)
        if not match:
            return arg
        scheme, host = match.group("scheme") or "", match.group("host").strip("[]")
        port = int(match.group("port") or {"http://": 80, "https://": 443}.get(scheme, 0))
        try:
            address = ipaddress.ip_address("127.0.0.1" if host.lower() == "localhost" else host)
        except ValueError:
            return arg  # an upstream's name, or a host the live nginx resolves: not this nginx
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        wildcard = "::" if family == socket.AF_INET6 else "0.0.0.0"
        for key in (("tcp", family, str(address), port), ("tcp", family, wildcard, port)):
            if key in self.plan.sockets and (key[2] != wildcard or _is_local(family, str(address))):
                family, preview_address, preview_port = self.plan.sockets[key]
                text = ("[%s]:%d" if family == socket.AF_INET6 else "%s:%d") % (preview_address, preview_port)
                return scheme + text + (match.group("rest") or "")
        return arg

    def block(self, directives, context):
        out = []
        for directive in directives:
            out.extend(self.statement(directive, context))
        return out

    def statement(self, directive, context):
        name, args = directive.name, list(directive.args)
        where = context[-1] if context else ""
        if holds_values(where):  # map, geo, types entries: values, copied as they are
            return [_node(name, args, self.block(directive.block, context + (name,))
                          if directive.block is not None else None)]
        reason = _side_effects(directive)
        if reason:
            raise Skipped(reason)
        if name == "include" and len(args) == 1:
            return []  # the loader put the included directives right after it
        if not context and name in _REPLACED:
            return []
        if name == "server" and directive.block is not None and where in ("http", "stream", "mail"):
            return self.server(directive, context, where)
        if name == "error_log" and args:
            return [_node(name, [self.plan.error_log] + args[1:])]
        if name == "access_log" and args and args[0] != "off":
            return [_node(name, [self.plan.access_log] + args[1:])]
        if name in _TEMP_PATHS and args:
            return [_node(name, [self.plan.scratch_path(name)] + args[1:])]
        if name in _CACHE_PATHS and args:
            rest = [("temp_path=" + self.plan.scratch_path("cache-temp")) if a.startswith("temp_path=") else a
                    for a in args[1:]]
            return [_node(name, [self.plan.scratch_path("cache")] + rest)]
        args = [self.path_arg(directive, arg) for arg in args]
        if self.rewrite_targets and args and (name in _PASSES or (name == "server" and where == "upstream")):
            args[0] = self.target_arg(args[0])
        block = None if directive.block is None else self.block(directive.block, context + (name,))
        if name == "http" and block is not None:
            # The compiled-in temp folders and access log are the live nginx's: the preview's own go first.
            present = {node["directive"] for node in block}
            extra = [_node(temp, [self.plan.scratch_path(temp)]) for temp in _TEMP_PATHS if temp not in present]
            if "access_log" not in present:
                extra.append(_node("access_log", [self.plan.access_log]))
            block = extra + block
        return [_node(name, args, block)]

    def server(self, directive, context, protocol):
        listens = []
        others = []
        for child in directive.block:
            if child.name == "listen" and child.args:
                listens.append(child)
            else:
                others.append(child)
        nodes = []
        unix = []
        for listen in listens:
            endpoint = addresses.parse_listen(listen.args[0], protocol)
            params = listen.args[1:]
            if endpoint.kind == "unix":
                unix.append(listen.args[0])
                continue
            if endpoint.port_range:
                raise Skipped("%s:%s: listen %s is a port range; a preview has one port per socket" % (
                    listen.file, listen.line, listen.args[0]))
            if endpoint.problems or endpoint.port is None:
                raise Skipped("%s:%s: listen %s cannot be read as an address" % (
                    listen.file, listen.line, listen.args[0]))
            transport = "udp" if ("udp" in params or "quic" in params) else "tcp"
            kept = [p for p in params if p.split("=", 1)[0] not in _SOCKET_ONLY]
            for key in _live_sockets(endpoint, protocol, transport):
                if key[1] == socket.AF_INET6 and key[2] == "::" and "ipv6only=off" in params:
                    self.plan.ipv6only_off.add(key)
                family, address, port = self.plan.preview_socket(key, self.allocate)
                text = ("[%s]:%d" if family == socket.AF_INET6 else "%s:%d") % (address, port)
                if not any(node["args"][0] == text for node in nodes):  # a name may resolve to one address twice
                    nodes.append(_node("listen", [text] + kept))
        if unix and not nodes:
            # A server reached only through UNIX sockets is left out; its sockets are someone else's files.
            self.unix_only.extend(unix)
            self.plan.dropped.append("%s:%s: server on %s" % (directive.file, directive.line, ", ".join(unix)))
            return []
        if unix:  # the server itself is previewed on its other sockets
            self.plan.dropped.append("%s:%s: listen %s" % (directive.file, directive.line, ", ".join(unix)))
        if not nodes and protocol == "http":  # nginx's own default: *:80 as root, *:8000 otherwise
            key = ("tcp", socket.AF_INET, "0.0.0.0", 80 if os.geteuid() == 0 else 8000)
            family, address, port = self.plan.preview_socket(key, self.allocate)
            nodes.append(_node("listen", ["%s:%d" % (address, port)]))
        return [_node("server", list(directive.args), nodes + self.block(others, context + ("server",)))]


def _node(name, args, block=None):
    node = {"directive": name, "args": args}
    if block is not None:
        node["block"] = block
    return node


def build(config, folder, work, prefix=None, mapping=None, staged=None, allocate=free_port, loaded=None):
    """Load the new tree and write the preview's configuration into ``folder``; returns the Plan.

    ``mapping`` is the loader's {live path: staged path} (the validated staged tree); ``staged``
    {live path: staged file} names the new files a directive reads by name (a new certificate), so
    the preview reads those instead of the live ones. ``loaded``: the tree as validation loaded it
    (read again when not given). Raises Skipped.
    """
    if crossplane is None:
        raise Skipped("the Python library crossplane is missing")
    if loaded is None:
        try:
            loaded = nginx_config.load(config, prefix=prefix, mapping=mapping)
        except nginx_config.ConfigLoadError as exc:
            raise Skipped("cannot read the new configuration: %s" % exc) from None
    if loaded.context != nginx_config.MAIN:
        raise Skipped("%s is not a whole nginx.conf, so no nginx can run it alone" % config)
    plan = Plan(folder, work)
    builder = _Builder(plan, os.path.dirname(os.path.abspath(config)), staged, allocate)
    main = [_node("daemon", ["off"]), _node("worker_processes", ["1"]), _node("pid", [plan.pid_path]),
            _node("lock_file", [os.path.join(folder, "nginx.lock")])]
    builder.block(loaded.root.block, ())  # a first pass gives every live socket its preview socket
    plan.counter, plan.dropped, builder.unix_only = 0, [], []
    builder.rewrite_targets = True
    main += builder.block(loaded.root.block, ())
    if not plan.sockets:
        if builder.unix_only:
            raise Skipped("the new configuration listens only on UNIX sockets (%s): a preview has no port to "
                          "check" % ", ".join(builder.unix_only[:3]))
        raise Skipped("the new configuration has no listen to preview")
    text = "# The gate's preview of %s: listens on loopback, writes only under %s and %s\n%s\n" % (
        config, folder, work, crossplane.build(main))
    fd = os.open(plan.config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write(text)
    return plan


# --- where a health check lands ------------------------------------------------------------------

def _is_local(family, address):
    """Whether this host owns ``address`` (the kernel lets us bind it)."""
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.bind((address, 0))
        return True
    except OSError:
        return False


def target(check):
    """(family, address, port) a health check's curl connects to, or raises Skipped with why not."""
    if check.get("unix_socket"):
        raise Skipped("it connects to the UNIX socket %s" % check["unix_socket"])
    endpoint = addresses.parse_endpoint(str(check["url"]))
    host = endpoint.host or endpoint.address or ""
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    connect_host, connect_port = host, port
    for entry in check.get("connect_to") or ():
        parts = _split_curl(entry, 4)
        if parts and parts[0] in ("", host) and parts[1] in ("", str(port)):
            connect_host, connect_port = parts[2] or host, int(parts[3] or port)
            break
    address = None
    for entry in check.get("resolve") or ():
        parts = _split_curl(entry, 3)
        if parts and parts[0] in (connect_host, "*") and parts[1] == str(connect_port):
            address = parts[2].split(",")[0].strip("[]")
            break
    if address is None:
        try:
            address = str(ipaddress.ip_address(connect_host.strip("[]")))
        except ValueError:
            try:
                address = socket.getaddrinfo(connect_host, connect_port, 0, socket.SOCK_STREAM)[0][4][0]
            except (OSError, UnicodeError):
                raise Skipped("its host %s does not resolve here" % connect_host) from None
    parsed = ipaddress.ip_address(address.split("%")[0])
    family = socket.AF_INET6 if parsed.version == 6 else socket.AF_INET
    return family, str(parsed), connect_port


def _split_curl(entry, count):
    """curl's HOST:PORT:... option split on the colons outside brackets (None when it has too few)."""
    fields, current, depth = [], "", 0
    for char in str(entry):
        if char == ":" and depth == 0 and len(fields) < count - 1:
            fields.append(current)
            current = ""
            continue
        depth += {"[": 1, "]": -1}.get(char, 0)
        current += char
    fields.append(current)
    return fields if len(fields) == count else None


def preview_socket(plan, check):
    """The preview's (family, address, port) that stands for the live socket a check reaches."""
    family, address, port = target(check)
    wildcard = "::" if family == socket.AF_INET6 else "0.0.0.0"
    for key in (("tcp", family, address, port), ("tcp", family, wildcard, port)):
        if key in plan.sockets:
            if key[2] == wildcard and not _is_local(family, address):
                raise Skipped("it goes to %s, not to this host" % address)
            return plan.sockets[key]
    mapped_v6 = ("tcp", socket.AF_INET6, "::", port)
    if family == socket.AF_INET and mapped_v6 in plan.ipv6only_off and _is_local(family, address):
        return plan.sockets[mapped_v6]
    raise Skipped("the new configuration does not listen on %s:%d" % (address, port))


def check_spec(check, sock, curl, workdir):
    """The same check, its URL unchanged (Host, SNI), sent to the preview's socket."""
    family, address, port = sock
    target = "::%s:%d" % ("[%s]" % address if family == socket.AF_INET6 else address, port)
    return http_probe.CheckSpec.from_check(check, curl, workdir, resolve=(), connect_to=[target])


# --- the preview nginx ---------------------------------------------------------------------------

def _parent_death_signal():
    """A function for the child between fork and exec: nginx gets SIGTERM when the deploy dies, even by
    SIGKILL (Linux's PR_SET_PDEATHSIG). Looked up here, in the parent: the child of a process with
    threads must not load libraries or import anything."""
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):  # not Linux: the next run's clean_up still stops it
        return None
    number = int(signal.SIGTERM)

    def arm():
        prctl(1, number)  # PR_SET_PDEATHSIG
    return arm


@contextlib.contextmanager
def _signals_deferred():
    """Ctrl-C, SIGTERM and SIGHUP wait until the block ends: an interrupt inside Popen would leave an
    nginx started that nobody knows the pid of, so nobody would stop it."""
    pending = []
    previous = {}
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        try:
            previous[number] = signal.signal(number, lambda signum, _frame: pending.append(signum))
        except ValueError:  # not the main thread: signals are not ours to hold
            break
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number in pending:
            os.kill(os.getpid(), number)  # delivered again, to the handlers of the deploy


def holding(folder):
    """Process ids that hold a file of ``folder`` open: the preview's master and workers all hold its
    error log, whatever became of their parent (nginx overwrites its environment with its title, so
    that says nothing)."""
    inside = folder.rstrip("/") + "/"
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            fds = os.listdir("/proc/%s/fd" % entry)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink("/proc/%s/fd/%s" % (entry, fd)).startswith(inside):
                    found.append(int(entry))
                    break
            except OSError:
                continue
    return found


def _tail(path, lines=3):
    try:
        with open(path, "rb") as handle:
            text = handle.read()[-8192:].decode("utf-8", "replace")
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


class Instance:
    """One preview nginx, started as a child of this process and always stopped by ``stop``."""

    def __init__(self, plan, nginx_binary, prefix=None):
        self.plan = plan
        self.binary = nginx_binary
        self.prefix = prefix
        self.proc = None

    def start(self, timeout=START_TIMEOUT):
        argv = [self.binary, "-c", self.plan.config_path, "-e", self.plan.error_log]
        if self.prefix:
            argv += ["-p", self.prefix.rstrip("/") + "/"]
        env = dict(os.environ, LC_ALL="C")
        output = open(os.path.join(self.plan.folder, "output"), "wb")  # noqa: SIM115 - nginx's stderr
        with output, _signals_deferred():
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output, stderr=output, env=env,
                                         close_fds=True, start_new_session=True,
                                         preexec_fn=_parent_death_signal())
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                why = _tail(self.plan.error_log) or _tail(os.path.join(self.plan.folder, "output"))
                raise Failed("the preview nginx did not start (exit %s): %s" % (self.proc.returncode, why))
            if nginx_process.read_pid(self.plan.pid_path) == self.proc.pid:
                return  # nginx writes its pid once every socket listens
            time.sleep(0.005)
        raise Failed("the preview nginx did not start within %g s" % timeout)

    def stop(self, timeout=STOP_TIMEOUT):
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)  # fast shutdown: the master stops its workers
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        for pid in holding(self.plan.folder):  # a worker the master could not stop
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


# --- the whole preview ---------------------------------------------------------------------------

def clean_up(scratch):
    """Stop a preview a killed deploy left running and remove its folders; what was found, as text.

    Called under the host lock before the scratch folder is emptied.
    """
    folder = os.path.join(scratch, FOLDER)
    if not os.path.isdir(folder):
        return []  # a preview's processes hold its folder's files: without the folder there is none
    found = []
    try:
        with open(os.path.join(folder, STATE)) as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        state = {}
    pids = holding(folder)
    stopped = bool(pids)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + STOP_TIMEOUT
    while pids and time.monotonic() < end:
        pids = [pid for pid in pids if _running(pid)]
        time.sleep(0.02)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if stopped:
        found.append("stopped the preview nginx a killed deploy left running")
    else:
        found.append("removed the folders of a preview a killed deploy left behind")
    work = state.get("work")
    if work and _is_our_work_dir(work):
        shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)
    return found


def _running(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _is_our_work_dir(path):
    """Only a folder this module made in the temporary directory is ever removed from the state file."""
    return (os.path.dirname(os.path.abspath(path)) == os.path.abspath(tempfile.gettempdir())
            and os.path.basename(path).startswith("preflight-preview-") and not os.path.islink(path)
            and os.path.isdir(path) and os.lstat(path).st_uid == os.geteuid())


def run(config, checks, scratch, nginx_binary, run_command, curl="curl", prefix=None, mapping=None,
        staged=None, allocate=free_port, loaded=None):
    """Preview the new configuration; returns a result dict.

    ``ran`` and ``ok``; ``skipped``: why it could not run (then ``ok`` says nothing); ``checks``: each
    check's result on the preview; ``not_previewed``: checks (or servers) the preview could not stand in
    for, with why; ``error``: what the failing check saw. ``elapsed``: seconds.
    """
    started = time.monotonic()
    result = {"ran": False, "ok": False, "skipped": None, "checks": [], "not_previewed": [], "error": None}
    folder = os.path.join(scratch, FOLDER)
    clean_up(scratch)
    os.mkdir(folder, 0o700)
    work = _new_work_dir(folder)
    instance = None
    try:
        for attempt in range(3):
            try:
                plan = build(config, folder, work, prefix, mapping, staged, allocate, loaded)
                sockets = _check_sockets(plan, checks, result)
                instance = Instance(plan, nginx_binary, prefix)
                _write_state(folder, {"work": work, "config": plan.config_path})
                instance.start()
                break
            except Failed as exc:
                # Another process may have taken a port between our probe and nginx's bind: new ports.
                if "Address already in use" not in str(exc) or attempt == 2:
                    raise
                instance = None
                for name in os.listdir(folder):
                    if name != STATE:
                        os.unlink(os.path.join(folder, name))
        result["ran"] = True
        result["dropped"] = plan.dropped
        for check, sock in sockets:
            spec = check_spec(check, sock, curl, scratch)
            outcome = http_probe.run(spec, run_command)
            shown = addresses.redact(spec.url)
            result["checks"].append({"url": shown, "ok": outcome["ok"], "status": outcome["status"],
                                     "attempts": outcome["attempts"], "elapsed": outcome["elapsed"],
                                     "error": outcome["error"]})
            if not outcome["ok"]:
                saw = _saw(outcome, plan)
                raise Failed("%s %s after %d attempt%s: %s%s" % (
                    spec.method, shown, outcome["attempts"], "" if outcome["attempts"] == 1 else "s",
                    outcome["error"], saw))
        result["ok"] = True
    except Skipped as exc:
        result["skipped"] = str(exc)
    except Failed as exc:
        result["ran"] = True
        result["error"] = str(exc)
    finally:
        if instance is not None:
            instance.stop()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
    result["elapsed"] = round(time.monotonic() - started, 3)
    return result


def _check_sockets(plan, checks, result):
    """[(check, preview socket)] for the checks the preview can stand in for; Skipped when none."""
    sockets = []
    for check in checks:
        try:
            sockets.append((check, preview_socket(plan, check)))
        except Skipped as exc:
            result["not_previewed"].append("%s: %s" % (addresses.redact(str(check.get("url"))), exc))
    if not sockets:
        if not checks:
            raise Skipped("no health checks to run on it")
        raise Skipped("no health check reaches the new configuration (%s)" % "; ".join(result["not_previewed"]))
    return sockets


def _saw(outcome, plan):
    """What the failing check saw, beyond curl's words: the body's start and nginx's own complaint."""
    parts = []
    body = " ".join((outcome.get("body_excerpt") or "").split())
    if outcome.get("status") and body:
        parts.append("the body began %r" % body[:80])
    complaint = [line for line in _tail(plan.error_log, 20).split(" | ")
                 if re.search(r"\[(error|crit|alert|emerg)\]", line)]
    if complaint:
        line = re.sub(r"^\S+ \S+ \[\w+\] \d+#\d+: (\*\d+ )?", "", complaint[-1])
        parts.append("nginx logged: %s" % line.split(", client: ")[0])
    return "; " + "; ".join(parts) if parts else ""


def _new_work_dir(folder):
    """Make the preview's folder in the temporary directory, named in the state file first: a deploy
    killed at any point leaves no folder the next run's ``clean_up`` does not know of."""
    for _attempt in range(100):
        work = os.path.join(tempfile.gettempdir(), "preflight-preview-%s" % secrets.token_hex(6))
        _write_state(folder, {"work": work})
        try:
            os.mkdir(work, 0o700)  # fails on anything already there, a link included
        except FileExistsError:
            continue
        # nginx makes its temp and cache folders here and hands them to the workers' user, who must be
        # able to enter (not list) this folder; the scratch folder itself stays private to the deploy.
        os.chmod(work, 0o711)
        return work
    raise FileExistsError("no free name for the preview's folder in %s" % tempfile.gettempdir())


def _write_state(folder, state):
    path = os.path.join(folder, STATE)
    with open(path + ".new", "w") as handle:
        json.dump(state, handle)
    os.replace(path + ".new", path)
