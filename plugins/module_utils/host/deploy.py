# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One transactional nginx deploy, start to end, in one process on the host.

recover an unfinished run -> plan -> stage the new files beside the live ones
(hidden names; a live include glob that matches them stops the deploy first) -> validate the staged tree as nginx will
see it at its live paths (the rules through the loader's mapping, nginx -t in
a private mount namespace with the staged files bound over the live ones),
probe the backends -> ``before_swap``: the preview, a throwaway nginx on the
new tree on loopback ports, health-checked (preview.py) -> snapshot -> swap
each file in with a rename -> reload and wait for new workers -> the same
health checks on the live nginx -> commit. Nothing
unvalidated is ever at a live path. Any failure after the snapshot restores
the files byte for byte, reloads nginx onto them if it had been reloaded (or
if something else reloaded it meanwhile), and checks them again.

Where the staged tree cannot be shown to nginx at its live paths (no root, no
unshare, no private mount namespace), the deploy refuses, unless
``validate_in_place`` allows the older order: write, then validate in place.

The gate role calls this through the nginx_deploy module: one module run per
host instead of a dozen tasks, which is most of what a deploy costs.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import fcntl
import fnmatch
import glob
import grp
import hashlib
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time

from ansible_collections.preflight.nginx.plugins.module_utils import (
    addresses,
    engine,
    facts,
    nginx_config,
)
from ansible_collections.preflight.nginx.plugins.module_utils.findings import at_least
from ansible_collections.preflight.nginx.plugins.module_utils.host import (
    backends,
    http_probe,
    nginx_process,
    preview,
    transaction,
)
from ansible_collections.preflight.nginx.plugins.module_utils.model import Model
from ansible_collections.preflight.nginx.plugins.module_utils.source import Source


class StepFailed(Exception):
    def __init__(self, step, reason):
        Exception.__init__(self, "%s failed: %s" % (step, reason))
        self.step = step
        self.reason = reason


# The deploy's options as preflight.nginx.nginx_deploy takes them: its argument spec is this plus the
# module's own plumbing (content_file, fail_on_error), and Settings takes its defaults from here.
OPTIONS = dict(
    files=dict(type="list", elements="dict", required=True),
    config=dict(type="path", default="/etc/nginx/nginx.conf"),
    prefix=dict(type="path"),
    nginx_binary=dict(type="str", default="nginx"),
    nginx_test=dict(type="bool", default=True),
    fail_on=dict(type="str", default="error", choices=["error", "warning", "info"]),
    rules=dict(type="list", elements="str", default=[]),
    probe_backends=dict(type="str", default="warning", choices=["none", "warning", "error"]),
    probe_timeout=dict(type="float", default=1),
    reload_method=dict(type="str", default="systemd", choices=["signal", "systemd"]),
    service=dict(type="str", default="nginx"),
    pid_file=dict(type="path"),
    reload_timeout=dict(type="float", default=10),
    health_checks=dict(type="list", elements="dict", default=[]),
    backup_dir=dict(type="path", default="/var/backups/preflight-nginx"),
    keep=dict(type="int", default=5),
    allow_outside=dict(type="bool", default=False),
    lock_timeout=dict(type="float", default=60),
    validate_in_place=dict(type="bool", default=False),
    preview=dict(type="bool"),
)


class Settings:
    """Everything one deploy needs to know: the OPTIONS (unset ones take their defaults) and the
    curl binary found on the host. Raises InputError naming a files item the deploy refuses."""

    def __init__(self, files, curl="curl", **options):
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise TypeError("unknown deploy option%s: %s" % ("s" if len(unknown) > 1 else "", ", ".join(unknown)))
        values = {name: copy.deepcopy(spec.get("default")) for name, spec in OPTIONS.items() if name != "files"}
        values.update((name, value) for name, value in options.items() if value is not None)
        self.__dict__.update(values)
        self.curl = curl
        self.prefix = self.prefix or None
        self.pid_file = self.pid_file or None
        self.rules = list(self.rules or ())
        self.health_checks = list(self.health_checks or ())
        # None: preview when there are health checks to run on it.
        self.preview = bool(self.health_checks) if self.preview is None else bool(self.preview)
        self.files = prepare(files, self.config, self.allow_outside)


class InputError(Exception):
    """A files item the deploy refuses, before anything on the host is touched."""


_SYMBOLIC = re.compile(r"^([ugoa]*)([-+=])([rwxXst]*)$")
_WHO = {"u": 0o4700, "g": 0o2070, "o": 0o1007, "a": 0o7777}
_PERMS = {"r": 0o444, "w": 0o222, "x": 0o111, "s": 0o6000, "t": 0o1000}


def resolve_mode(spec, current=0o644):
    """A mode as chmod reads it: 0640, "0640", or symbolic "u=rw,g=r,o=" (applied to ``current``)."""
    if isinstance(spec, int) and not isinstance(spec, bool):
        return spec & 0o7777
    text = str(spec).strip()
    if re.match(r"^0?[0-7]{3,4}$", text):
        return int(text, 8)
    mode = current & 0o7777
    for clause in text.split(","):
        match = _SYMBOLIC.match(clause.strip())
        if not match:
            raise ValueError("invalid mode %r: write 0644 or u=rw,g=r,o=r" % (spec,))
        who, operator, perms = match.groups()
        mask = 0
        for letter in who or "a":
            mask |= _WHO[letter]
        bits = 0
        for letter in perms:
            bits |= (0o111 if mode & 0o111 else 0) if letter == "X" else _PERMS[letter]
        bits &= mask
        mode = mode | bits if operator == "+" else mode & ~bits if operator == "-" else (mode & ~mask) | bits
    return mode


def _owner_id(value, kind, number):
    if value in (None, ""):
        return -1
    text = str(value)
    if text.isdigit():
        return int(text)
    try:
        return pwd.getpwnam(text).pw_uid if kind == "owner" else grp.getgrnam(text).gr_gid
    except KeyError:
        raise InputError("files[%d]: %s %r does not exist on this host" % (number, kind, text)) from None


def prepare(files, config, allow_outside=False):
    """Check and normalise the files items; raises InputError naming the item.

    Each entry gets ``path`` (the file written: a symbolic link is written through, so the link
    stays), ``data`` (bytes, or None for ``state: absent``), ``mode`` (None keeps an existing
    file's mode; 0644 for a new one), ``uid``/``gid`` (-1 keeps the existing owner).
    """
    tree = os.path.dirname(os.path.abspath(config))
    seen = {}
    prepared = []
    for number, item in enumerate(files):
        if not isinstance(item, dict):
            raise InputError("files[%d]: expected a dict with dest and content" % number)
        dest = item.get("dest")
        if not dest or not os.path.isabs(str(dest)):
            raise InputError("files[%d]: dest %r must be an absolute path" % (number, dest))
        dest = os.path.normpath(str(dest))
        if not allow_outside and not dest.startswith(tree + os.sep):
            raise InputError("files[%d]: dest %s is outside the nginx configuration folder %s "
                             "(set allow_outside to deploy there)" % (number, dest, tree))
        state = item.get("state") or ("link" if item.get("link") else "present")
        if state not in ("present", "absent", "link"):
            raise InputError("files[%d] (%s): state must be present, absent or link, not %r" % (number, dest, state))
        if not allow_outside:
            _refuse_resolved_outside(number, dest, state, tree)
        if state == "link" and not item.get("link"):
            raise InputError("files[%d] (%s): state link needs link, the file the link points to" % (number, dest))
        data = None
        if state == "present":
            if item.get("content_base64") is not None:
                try:
                    data = base64.b64decode(str(item["content_base64"]), validate=True)
                except (ValueError, TypeError) as exc:
                    raise InputError("files[%d] (%s): content_base64 is not base64: %s" % (number, dest, exc)) from exc
            elif isinstance(item.get("content"), str):
                data = item["content"].encode("utf-8", "surrogateescape")
            else:
                raise InputError("files[%d] (%s): needs content (text) or content_base64" % (number, dest))
        # Content is written through a link (the link stays); absent and link manage the link itself.
        path = os.path.realpath(dest) if state == "present" and os.path.islink(dest) else dest
        if path in seen:
            raise InputError("files[%d]: dest %s is also files[%d]; give each file once" % (number, dest, seen[path]))
        seen[path] = number
        mode = item.get("mode")
        if mode not in (None, ""):
            try:
                resolve_mode(mode, 0o644)
            except ValueError as exc:
                raise InputError("files[%d] (%s): %s" % (number, dest, exc)) from None
        prepared.append({"dest": dest, "path": path, "state": state, "data": data, "mode": mode or None,
                         "no_log": bool(item.get("no_log")),
                         "link": str(item["link"]) if state == "link" else None,
                         "uid": _owner_id(item.get("owner"), "owner", number),
                         "gid": _owner_id(item.get("group"), "group", number)})
    return prepared


def _refuse_resolved_outside(number, dest, state, tree):
    """Judge the path really written or removed, not the name given: a symbolic link on the way
    (the file itself, a parent folder) must not lead out of the tree."""
    real_tree = os.path.realpath(tree)
    if state == "present":
        written = os.path.realpath(dest)  # content is written through a link at dest
    else:  # absent and link act on the entry itself, in its (resolved) folder
        written = os.path.join(os.path.realpath(os.path.dirname(dest)), os.path.basename(dest))
    if not written.startswith(real_tree + os.sep):
        raise InputError("files[%d]: dest %s resolves to %s (through a symbolic link), outside the nginx "
                         "configuration folder %s; refusing to %s it (set allow_outside to deploy there)"
                         % (number, dest, written, tree, "remove" if state == "absent" else "write"))


def _target(entry):
    """(mode, uid, gid) the file must have: what was asked, else what the existing file has."""
    if entry["state"] == "link":
        return None, -1, -1
    try:
        info = os.stat(entry["path"])
    except OSError:
        info = None
    current = stat.S_IMODE(info.st_mode) if info else 0o644
    mode = resolve_mode(entry["mode"], current) if entry["mode"] is not None else current
    uid = entry["uid"] if entry["uid"] != -1 else (info.st_uid if info else -1)
    gid = entry["gid"] if entry["gid"] != -1 else (info.st_gid if info else -1)
    return mode, uid, gid


def needs_change(entry):
    """True when the file's bytes, mode, owner or group differ from the entry (or it must go)."""
    path = entry["path"]
    if entry["state"] == "absent":
        return os.path.lexists(path)
    if entry["state"] == "link":
        return not (os.path.islink(path) and os.readlink(path) == entry["link"])
    if not os.path.isfile(path):
        return True
    with open(path, "rb") as handle:
        if handle.read() != entry["data"]:
            return True
    info = os.stat(path)
    mode, uid, gid = _target(entry)
    return stat.S_IMODE(info.st_mode) != mode or uid not in (-1, info.st_uid) or gid not in (-1, info.st_gid)


def write(entry, root=None, source_dir=None):
    """Write (or remove) one file atomically (under ``root`` instead of its place when staging:
    a throwaway copy for validation, not flushed to disk)."""
    path = entry["path"]
    mode, uid, gid = _target(entry)
    if root is not None:
        path = os.path.join(root, os.path.relpath(entry["path"], source_dir))
    if entry["state"] == "absent":
        if os.path.lexists(path):
            os.unlink(path)
        return
    directory = os.path.dirname(path)
    if entry["state"] == "link":
        if not os.path.isdir(directory):
            os.makedirs(directory)
        transaction.make_link(entry["link"], path)
        return
    if not os.path.isdir(directory):
        os.makedirs(directory)
    attributes = transaction.xattrs_of(path) if root is None and os.path.isfile(path) else {}
    transaction.write_atomic(path, entry["data"], mode, uid, gid, sync=root is None)
    if attributes:  # ACLs and other xattrs stay with the file, as an in-place edit would keep them
        transaction.set_xattrs(path, attributes)
        os.chmod(path, mode)


# Private keys and password hashes (htpasswd: apr1, bcrypt, SHA, crypt) are never shown, not even in --diff.
_SECRET = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|^[^:\s#]+:(\$apr1\$|\$2[abxy]?\$|\{SHA\}|\$[156]\$)",
                     re.MULTILINE)


def _hidden(entry, data):
    """Why the bytes of a file must not be shown (None: they may be)."""
    if entry.get("no_log"):
        return "no_log is set for this file"
    if data and _SECRET.search(data):
        return "it looks like a secret (a private key or password hashes)"
    return None


def file_diffs(settings, paths):
    """Before and after of each file about to change, as Ansible's --diff shows them (---/+++ lines).

    A file marked no_log, or whose old or new bytes look like a secret, shows a note instead."""
    diffs = []
    for entry in settings.files:
        if entry["path"] not in paths:
            continue
        path = entry["path"]
        if os.path.islink(path) and entry["state"] != "present":
            before = ("-> %s\n" % os.readlink(path)).encode()
        else:
            try:
                with open(path, "rb") as handle:
                    before = handle.read()
            except OSError:
                before = b""
        after = ("-> %s\n" % entry["link"]).encode() if entry["state"] == "link" else entry["data"] or b""
        why = _hidden(entry, before) or _hidden(entry, after)
        if why:
            before = after = ("(content not shown: %s)\n" % why).encode()
            before = b"" if not os.path.lexists(path) else before
        diffs.append({"before_header": entry["dest"], "after_header": entry["dest"],
                      "before": before.decode("utf-8", "replace"), "after": after.decode("utf-8", "replace")})
    return diffs


def _summary(findings):
    return "\n".join(finding.one_line(hint=True) for finding in findings)


def validate(settings, mapping=None, probe=True):
    """(report, probes) of the tree: rules, nginx -t, backend probes; ``mapping`` reads a staged copy.

    With a mapping, nginx -t is not run here: it must see the staged files at their live paths
    (``_staged_nginx_test``).
    """
    report = engine.check(Source.file(settings.config, prefix=settings.prefix, mapping=mapping),
                          engine.Options(ignore=settings.rules, nginx_test=settings.nginx_test and not mapping,
                                         nginx_binary=settings.nginx_binary))
    probes = []
    if settings.probe_backends != "none" and probe:
        probes = backends.probe_into(report, settings.probe_backends, settings.probe_timeout)
    return report, probes


def _blocking(report, fail_on):
    return [f for f in report.findings if at_least(f.severity, fail_on)]


def reload(settings, run_command, master=None):
    """Reload nginx and wait until only its new workers take connections.

    ``master`` is the master found from the live configuration before the swap: a new config may
    move the pid file (the ``pid`` directive), and nginx writes it there only once it has reloaded.
    """
    if master is None or not nginx_process.is_alive(master) or not nginx_process.is_nginx_master(master):
        binary = shutil.which(settings.nginx_binary) or settings.nginx_binary
        master, pid_file = nginx_process.find_master(settings.config, settings.prefix, settings.pid_file, binary)
        if master is None:
            raise StepFailed("reload", nginx_process.not_running(pid_file))
    try:
        nginx_process.reload(master, settings.reload_method, settings.service, settings.reload_timeout, run_command)
    except nginx_process.ReloadError as exc:
        raise StepFailed("reload", str(exc)) from exc


def _scratch(settings):
    """The deploy's private scratch folder (health-check headers), or None outside a deploy."""
    folder = os.path.join(settings.backup_dir, "scratch")
    return folder if os.path.isdir(folder) else None


def _fresh_scratch(settings):
    """Empty the scratch folder a killed run may have left, and make it again (under the host lock)."""
    folder = os.path.join(settings.backup_dir, "scratch")
    shutil.rmtree(folder, ignore_errors=True)
    os.mkdir(folder, 0o700)


def health(settings, run_command, checks=None, into=None):
    """Run the health checks (``checks``, by default all); raises StepFailed on the first that fails.

    Each result is appended to ``into`` as it comes, so a failed check is in the result too."""
    results = [] if into is None else into
    for check in settings.health_checks if checks is None else checks:
        spec = _spec(settings, check)
        result = http_probe.run(spec, run_command)
        shown = addresses.redact(spec.url)  # never a password in a result or a message
        results.append({"url": shown, "ok": result["ok"], "status": result["status"],
                        "attempts": result["attempts"], "elapsed": result["elapsed"], "error": result["error"]})
        if not result["ok"]:
            raise StepFailed("health check", "%s %s after %d attempt%s: %s" % (
                spec.method, shown, result["attempts"], "" if result["attempts"] == 1 else "s", result["error"]))
    return results


def _spec(settings, check):
    return http_probe.CheckSpec.from_check(check, settings.curl, _scratch(settings))


def _answerable(settings):
    """(checks the restored config can answer, [why each other one is left out]).

    A check aimed at a port the previous config does not listen on asks about a server only the
    new config had: after a rollback it could only fail, and would call a healthy rollback unhealthy.
    A body_regex was written for the new config's pages too: the previous config is asked only for
    the status (and the message says so)."""
    ports = {item.get("port") for item in _facts(settings).get("listen", ())}
    kept, left_out = [], []
    for check in settings.health_checks:
        spec = _spec(settings, check)
        shown = "%s %s" % (spec.method, addresses.redact(spec.url))
        if not spec.unix_socket:
            port = http_probe.target_of(spec).rsplit(":", 1)[-1]
            if port.isdigit() and ports and int(port) not in ports:
                left_out.append("%s (the previous config listens on no port %s)" % (shown, port))
                continue
        if check.get("body_regex"):
            left_out.append("the body check of %s (written for the new config; only its status was checked)" % shown)
            check = dict(check, body_regex=None)
        kept.append(check)
    return kept, left_out


def _facts(settings, live=None):
    """config_info's facts of the live configuration (``live``: already loaded); {} when unreadable."""
    if live is None:
        live = _live_config(settings)
    return facts.model_facts(Model(live)) if live is not None else {}


def _live_config(settings):
    """The live configuration as loaded now, or None when it cannot be read."""
    try:
        return nginx_config.load(settings.config, prefix=settings.prefix)
    except nginx_config.ConfigLoadError:
        return None


class Stopped(Exception):
    """The deploy stopped before its snapshot: nothing on the host was changed."""


class Interrupted(BaseException):
    """SIGTERM or SIGHUP during a deploy (SIGINT arrives as KeyboardInterrupt)."""


def run(settings, run_command, check_mode=False):
    """Deploy; returns a result dict (``failed`` and ``msg`` say what went wrong).

    Raises Stopped when it stops before the snapshot (nothing was changed).
    """
    result = {"changed": False, "failed": False, "ok": True, "msg": "", "recovered": [], "changing": [], "changes": [],
              "findings": [], "probes": [], "health": [], "steps": [], "snapshot": None}
    if check_mode:
        try:
            with _interrupts_raise():  # so that the staged copy is removed on SIGTERM and SIGHUP too
                return _run(settings, run_command, result, check_mode=True)
        except (KeyboardInterrupt, Interrupted) as exc:
            raise Stopped("check mode was interrupted (%s); its staged copy is removed" % (exc or "Ctrl-C")) from None
    with _host_lock(settings), _interrupts_raise():
        left = preview.clean_up(os.path.join(settings.backup_dir, "scratch"))  # before its folder goes
        result["recovered"].extend("(%s)" % what for what in left)
        _fresh_scratch(settings)
        _unstage(settings, {})  # what a run killed while staging left beside the live files
        try:
            _run(settings, run_command, result)
        except Stopped as exc:
            if not result.get("recovery"):
                raise
            result.update(failed=True, msg="stopped before changing anything more: %s" % exc)
    if result.get("recovery"):  # said where every user sees it, not only in the result
        result.setdefault("warnings", []).append(result["recovery"])
        result["msg"] = result["recovery"] + ("; then " + result["msg"] if result["msg"] else "")
    return result


def instance_lock_path(config):
    """The lock of one nginx instance, keyed by the real path of its configuration folder: every
    deploy to it takes this lock, whatever its backup directory."""
    root = os.path.realpath(os.path.dirname(os.path.abspath(config)))
    folder = "/run/lock" if os.path.isdir("/run/lock") else tempfile.gettempdir()
    return os.path.join(folder, "preflight-nginx-%s.lock" % hashlib.sha256(root.encode()).hexdigest()[:16])


@contextlib.contextmanager
def _host_lock(settings):
    """One deploy per nginx instance (and per backup directory) at a time; the second waits, then
    says why it stops."""
    instance = instance_lock_path(settings.config)
    lock_path = os.path.join(settings.backup_dir, ".lock")
    try:
        # O_NOFOLLOW: /run/lock is shared by every user; a planted link must not lead the open elsewhere.
        instance_fd = os.open(instance, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        raise Stopped("cannot open the lock of this nginx instance %s: %s" % (instance, exc)) from exc
    with os.fdopen(instance_fd, "r+") as instance_handle:
        _wait_for_lock(instance_handle, settings, "another deploy to this nginx (configuration folder %s) has held "
                       "%s" % (os.path.dirname(os.path.abspath(settings.config)), instance))
        try:
            transaction.check_trusted(settings.backup_dir)
            if not os.path.isdir(settings.backup_dir):
                os.makedirs(settings.backup_dir, 0o700)
                os.chmod(settings.backup_dir, 0o700)
            handle = open(lock_path, "a+")  # noqa: SIM115 - held open for the whole deploy, closed below
        except (OSError, transaction.TransactionError) as exc:
            raise Stopped("cannot use the backup directory %s: %s" % (settings.backup_dir, exc)) from exc
        with handle:  # closing releases the lock
            _wait_for_lock(handle, settings, "another deploy to this host has held %s" % lock_path)
            yield


def _wait_for_lock(handle, settings, who):
    deadline = time.monotonic() + settings.lock_timeout
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise Stopped("%s for %.0f s (lock_timeout); try again when it ends"
                              % (who, settings.lock_timeout)) from None
            time.sleep(0.1)


_QUIET = {"rolling back": False, "why": None}


@contextlib.contextmanager
def _interrupts_raise():
    """SIGTERM and SIGHUP interrupt the deploy like Ctrl-C, so that it rolls back before it ends;
    so does the end of the controller (see ``_watch_ancestors``), whatever signal ended it.
    Once the rollback runs, a further signal no longer interrupts it."""
    def interrupt(number, _frame):
        if not _QUIET["rolling back"]:
            raise Interrupted(_QUIET["why"] or "signal %d" % number)
    previous = {}
    for number in (signal.SIGTERM, signal.SIGHUP):
        try:
            previous[number] = signal.signal(number, interrupt)
        except ValueError:  # not the main thread: leave signals alone
            pass
    stop = threading.Event()
    if previous:
        threading.Thread(target=_watch_ancestors, args=(stop,), daemon=True).start()
    try:
        yield
    finally:
        stop.set()
        if previous:  # only the deploy that owns the signals (the main thread's) resets their state
            _QUIET.update({"rolling back": False, "why": None})
        for number, handler in previous.items():
            signal.signal(number, handler)


def _ancestors():
    """(pid, parent pid) of each process above this one, up to init."""
    chain = []
    pid = os.getpid()
    while pid > 1 and len(chain) < 32:
        parent = _parent_of(pid)
        if parent is None:
            break
        chain.append((pid, parent))
        pid = parent
    return chain


def _parent_of(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _watch_ancestors(stop, interval=0.2):
    """Interrupt the deploy when a process above it ends (an ansible-playbook killed by SIGHUP or
    SIGKILL, a dropped ssh session): Ansible runs modules in a session of their own, so the
    signal that ended the controller never reaches them. The deploy then rolls back as on SIGTERM."""
    chain = _ancestors()
    while not stop.wait(interval):
        for pid, parent in chain:
            if _parent_of(pid) != parent:
                _QUIET["why"] = "the controller went away: process %d above this deploy ended" % parent
                os.kill(os.getpid(), signal.SIGTERM)
                return


def _run(settings, run_command, result, check_mode=False):
    started = time.monotonic()

    def step(name):
        result["steps"].append({"name": name, "at": round(time.monotonic() - started, 3)})

    try:
        unfinished = transaction.journal_of(settings.backup_dir)
    except (OSError, ValueError, transaction.TransactionError) as exc:
        raise Stopped("cannot read the backup directory: %s" % exc) from exc
    if unfinished is not None:
        step("recover")
        if not check_mode:
            _recover(settings, run_command, result, unfinished)
    step("plan")
    try:
        result["changing"] = [entry["path"] for entry in settings.files if needs_change(entry)]
    except OSError as exc:
        raise Stopped("cannot read a managed file: %s" % exc) from exc
    if not result["changing"]:
        return _unchanged(settings, run_command, result, step)
    result["changed"] = True
    result["file_diffs"] = file_diffs(settings, result["changing"])
    if check_mode:
        return _staged(settings, result, step)
    live = _live_config(settings)  # read once: the facts before, and the include globs staging must avoid
    before = _facts(settings, live)
    _check_space(settings, result["changing"])
    if settings.nginx_test:
        problem = _in_place_problem(_scratch(settings))
        if problem and not settings.validate_in_place:
            raise Stopped("cannot validate the new files before they go live: nginx -t must see them staged at "
                          "their live paths, in a private mount namespace, and %s. Set validate_in_place to write "
                          "them first and validate them where they are (unvalidated files are then live during "
                          "the validation), or nginx_test: false to validate with the rules alone" % problem)
        if problem:
            result.setdefault("warnings", []).append(
                "validate_in_place: the new files were written before they were validated (%s)" % problem)
            return _in_place(settings, run_command, result, step, before)
    return _staged_deploy(settings, run_command, result, step, before, live)


def _failure_of(exc, result):
    if isinstance(exc, StepFailed):
        return exc
    if isinstance(exc, (KeyboardInterrupt, Interrupted)):
        return StepFailed(result["steps"][-1]["name"], "interrupted (%s)" % (exc or "Ctrl-C"))
    return StepFailed(result["steps"][-1]["name"], "%s: %s" % (type(exc).__name__, exc))


def _blocked_by(report, settings):
    blocking = _blocking(report, settings.fail_on)
    if blocking:
        raise StepFailed("validation", "%d finding%s at or above %s:\n%s" % (
            len(blocking), "" if len(blocking) == 1 else "s", settings.fail_on, _summary(blocking)))


def before_swap(settings, mapping, result, run_command=None, staged=None, step=None, loaded=None):
    """The seam between "the staged tree passed validation" and "its files are swapped in".

    ``mapping`` is the staged tree as validated ({live path: staged path}, the loader's
    mapping and what the private mount namespace of nginx -t binds over the live paths);
    ``result`` is the deploy's result dict (findings, probes, changes filled in). Nothing is
    live yet and no snapshot exists: raising StepFailed here blocks the deploy with nothing
    changed. The preview runs here; ``staged`` ({live path: staged file}) lets it read a new
    file a directive names (a certificate) with the mode and owner it will have live; ``loaded``
    is the tree as the validation loaded it, so that it is not read again.
    """
    run_preview(settings, run_command or subprocess_runner, result, step, mapping, staged, loaded)


def run_preview(settings, run_command, result, step=None, mapping=None, staged=None, loaded=None):
    """Health-check a throwaway nginx on the new tree; StepFailed when a check fails on it.

    What it cannot stand in for is said in the result's warnings (``preview skipped: <why>``).
    """
    if not settings.preview:
        result["preview"] = {"ran": False, "skipped": None}
        return
    if step is not None:
        step("preview")
    scratch = _scratch(settings)
    binary = shutil.which(settings.nginx_binary) or settings.nginx_binary
    outcome = preview.run(settings.config, settings.health_checks, scratch, binary, run_command, curl=settings.curl,
                          prefix=settings.prefix, mapping=mapping, staged=staged, loaded=loaded)
    result["preview"] = outcome
    warnings = result.setdefault("warnings", [])
    if outcome["skipped"]:
        after = "; the health checks run on the live nginx only" if settings.health_checks else ""
        warnings.append("preview skipped: %s%s" % (outcome["skipped"], after))
        return
    warnings.extend("preview: health check %s was not previewed; it runs on the live nginx after the switch" % text
                    for text in outcome["not_previewed"])
    warnings.extend("preview: left out %s (UNIX sockets are the live nginx's)" % text
                    for text in outcome.get("dropped", ()))
    if not outcome["ok"]:
        raise StepFailed("preview", "the new config failed its health check on a preview nginx before the live one "
                         "saw it: %s" % outcome["error"])


def _staged_deploy(settings, run_command, result, step, before, live):
    """Stage, validate the staged tree at its live paths, then snapshot, swap, reload, check."""
    view = os.path.join(_scratch(settings), "view")
    staged = {}
    progress = {"reloaded": False}
    _refuse_globs_matching_stages(settings, result["changing"], live)
    try:
        step("stage")
        staged = _stage_beside(settings, result["changing"])
        mapping = _stage_view(settings, result["changing"], view, staged)
        step("validation")
        report, result["probes"] = validate(settings, mapping)
        if settings.nginx_test:
            report.add(_staged_nginx_test(settings, mapping, result, report))
        result["findings"] = [f.as_dict() for f in report.findings]
        _blocked_by(report, settings)
        result["changes"] = facts.semantic_diff(before, facts.model_facts(report.model))
        before_swap(settings, mapping, result, run_command, staged, step, report.config)
    except BaseException as exc:
        _unstage(settings, staged)
        _remove_view(view)
        if isinstance(exc, (OSError, nginx_config.ConfigLoadError)) and not isinstance(exc, StepFailed):
            raise Stopped("staging the new files failed: %s" % exc) from exc
        failure = _failure_of(exc, result)
        result.update(failed=True, changed=False, msg="blocked: %s; nothing live was changed (the new files were "
                      "validated staged, beside the live ones), nginx was not reloaded" % failure)
        return result
    _remove_view(view)
    step("snapshot")
    try:
        journal = transaction.begin(settings.backup_dir, result["changing"], settings.config)
    except (transaction.TransactionError, OSError) as exc:
        _unstage(settings, staged)
        raise Stopped("snapshot failed: %s (backup_dir: %s)" % (exc, settings.backup_dir)) from exc
    result["snapshot"] = journal["name"]
    generation = _generation(settings)
    try:
        step("swap")
        transaction.mark(settings.backup_dir, "writing")
        transaction.keep_old(settings.backup_dir)
        _swap(settings, result["changing"], staged)
        _unstage(settings, staged)
        _go_live(settings, run_command, result, step, generation, progress)
    except BaseException as exc:  # every failure after the snapshot restores it, Ctrl-C included
        _unstage(settings, staged)
        _roll_back(settings, run_command, result, _failure_of(exc, result), progress["reloaded"], step, generation)
    return result


def _go_live(settings, run_command, result, step, generation, progress):
    """Reload onto the files now live, health-check them, commit. ``progress["reloaded"]`` is set
    before the reload is asked for: from then on a rollback must reload too."""
    step("reload")
    transaction.mark(settings.backup_dir, "reloading")
    progress["reloaded"] = True
    reload(settings, run_command, generation and generation[0])
    transaction.mark(settings.backup_dir, "reloaded")
    step("health check")
    health(settings, run_command, into=result["health"])
    step("commit")
    transaction.commit(settings.backup_dir, settings.keep)


def _in_place(settings, run_command, result, step, before):
    """validate_in_place: the old order (snapshot, write, validate where the files are)."""
    step("snapshot")
    try:
        journal = transaction.begin(settings.backup_dir, result["changing"], settings.config)
    except (transaction.TransactionError, OSError) as exc:
        raise Stopped("snapshot failed: %s (backup_dir: %s)" % (exc, settings.backup_dir)) from exc
    result["snapshot"] = journal["name"]
    generation = _generation(settings)
    progress = {"reloaded": False}
    try:
        step("write")
        transaction.mark(settings.backup_dir, "writing")
        transaction.keep_old(settings.backup_dir)
        for entry in settings.files:
            if entry["path"] in result["changing"]:
                write(entry)
        step("validation")
        report, result["probes"] = validate(settings)
        result["findings"] = [f.as_dict() for f in report.findings]
        _blocked_by(report, settings)
        result["changes"] = facts.semantic_diff(before, facts.model_facts(report.model))
        run_preview(settings, run_command, result, step, loaded=report.config)  # files live, no reload yet
        _go_live(settings, run_command, result, step, generation, progress)
    except BaseException as exc:  # every failure after the snapshot restores it, Ctrl-C included
        _roll_back(settings, run_command, result, _failure_of(exc, result), progress["reloaded"], step, generation)
    return result


STAGE_PREFIX = ".preflight-stage-"
STAGED_LIST = "STAGED"


def _nearest_dir(directory):
    while not os.path.isdir(directory):
        directory = os.path.dirname(directory)
    return directory


def _stage_beside(settings, changing):
    """Write each new file (or link) beside the one it replaces; returns {live path: staged path}.

    Beside, so that the swap is a rename on the same file system; under a hidden name, which the
    usual include globs do not match (``*`` and ``?`` never match a leading dot; one that does,
    ``.[!.]*``, was refused before: ``_refuse_globs_matching_stages``), so an outside reload
    meanwhile never loads it. The names are listed in the backup directory first: a run killed
    here leaves nothing the next one does not remove.
    """
    plan = {}
    for number, entry in enumerate(settings.files):
        if entry["path"] in changing and entry["state"] != "absent":
            directory = _nearest_dir(os.path.dirname(entry["path"]))
            plan[entry["path"]] = os.path.join(directory, "%s%d-%d" % (STAGE_PREFIX, os.getpid(), number))
    transaction.write_atomic(os.path.join(settings.backup_dir, STAGED_LIST),
                             "".join(path + "\n" for path in plan.values()).encode())
    for entry in settings.files:
        temp = plan.get(entry["path"])
        if temp is None:
            continue
        if os.path.lexists(temp):
            os.unlink(temp)
        if entry["state"] == "link":
            os.symlink(entry["link"], temp)
        else:
            mode, uid, gid = _target(entry)
            transaction.write_new(temp, entry["data"], mode, uid, gid, sync=False)
            if os.path.isfile(entry["path"]):  # who may read it (ACLs) and the other xattrs stay as they were
                transaction.copy_xattrs(entry["path"], temp, mode)
    transaction.sync_to_disk(plan.values())  # on disk before the swap renames them into place
    return plan


def _glob_matches(pattern, path):
    """Whether nginx's include glob (glob(3): ``*`` and ``?`` never match a leading dot, nor ``/``)
    matches ``path``."""
    wanted, names = pattern.split("/"), path.split("/")
    if len(wanted) != len(names):
        return False
    for part, name in zip(wanted, names):
        if name.startswith(".") and not part.startswith(".") and glob.has_magic(part):
            return False
        if not fnmatch.fnmatchcase(name, part):
            return False
    return True


def _refuse_globs_matching_stages(settings, changing, live):
    """Stop before staging when an include glob of the live config (``live``, loaded; None when it
    cannot be read) would load a staged file (say ``include conf.d/.[!.]*``): an outside reload during
    the validation would then put it live."""
    if live is None:
        return
    stages = []
    for number, entry in enumerate(settings.files):
        if entry["path"] in changing and entry["state"] != "absent":
            directory = _nearest_dir(os.path.dirname(entry["path"]))
            stages.append(os.path.join(directory, "%s%d-%d" % (STAGE_PREFIX, os.getpid(), number)))
    for directive in live.walk():
        if directive.name != "include" or len(directive.args) != 1 or not glob.has_magic(directive.args[0]):
            continue
        # Relative to the main file's folder, as nginx reads includes, whatever its -p.
        pattern = os.path.normpath(os.path.join(live.include_base, directive.args[0]))
        for stage in stages:
            for name in (stage, os.path.join(os.path.realpath(os.path.dirname(stage)), os.path.basename(stage))):
                if _glob_matches(pattern, name):
                    raise Stopped("the include %s (%s line %s) matches the hidden names the new files are staged "
                                  "under before they are validated (%s*): an outside reload would load them "
                                  "unvalidated; make the glob skip %s* (e.g. *.conf)"
                                  % (directive.args[0], directive.file, directive.line, STAGE_PREFIX, STAGE_PREFIX))


def _unstage(settings, staged):
    """Remove what staging left (of this run, or of a killed one listed in the backup directory)."""
    listed = os.path.join(settings.backup_dir, STAGED_LIST)
    paths = set(staged.values())
    with contextlib.suppress(OSError), open(listed) as handle:
        paths.update(line.rstrip("\n") for line in handle if os.path.basename(line).startswith(STAGE_PREFIX))
    for path in paths:
        with contextlib.suppress(OSError):
            os.unlink(path)
    staged.clear()
    with contextlib.suppress(OSError):
        os.unlink(listed)


def _stage_view(settings, changing, view, staged=None):
    """The tree nginx will load, for validation; returns the loader's mapping {live path: staged path}.

    The configuration folder is copied into ``view`` with the new files in it (absolute includes
    and sites-enabled links lead into it too); a file whose real place is elsewhere (outside the
    folder, or behind a linked folder: writing into the copy would go through the link) stands
    for itself, as its staged file beside the live one (``staged``) or a copy of its own.
    """
    live_dir = os.path.dirname(os.path.abspath(settings.config))
    backups = os.path.realpath(settings.backup_dir)

    def skipped(folder, names):  # the staged files, and a backup directory kept inside the tree
        return [name for name in names if name.startswith(STAGE_PREFIX)
                or os.path.realpath(os.path.join(folder, name)) == backups]
    shutil.rmtree(view, ignore_errors=True)
    shutil.copytree(live_dir, view, symlinks=True, ignore=skipped, copy_function=_link_or_copy)
    real_view = os.path.realpath(view)
    mapping = {live_dir: view}
    for number, entry in enumerate(settings.files):
        if entry["path"] not in changing:
            continue
        inside = entry["path"].startswith(live_dir + os.sep)
        if inside:
            in_view = os.path.join(view, os.path.relpath(entry["path"], live_dir))
            inside = os.path.realpath(_nearest_dir(os.path.dirname(in_view))).startswith(real_view)
        if inside:
            write(entry, view, live_dir)
            continue
        real = os.path.join(os.path.realpath(os.path.dirname(entry["path"])), os.path.basename(entry["path"]))
        if staged is not None and entry["path"] in staged:
            mapping[real] = staged[entry["path"]]
        else:  # check mode, or state absent: a private stand-in (none at all for a removed file)
            elsewhere = os.path.join(view + ".files", str(number))
            mapping[real] = os.path.join(elsewhere, os.path.basename(entry["path"]))
            if entry["state"] != "absent":
                write(entry, elsewhere, os.path.dirname(entry["path"]))
    return mapping


def _link_or_copy(source, copy):
    """A file of the view: a hard link where it can be (no bytes copied: a folder that also holds
    big logs or a cache costs nothing), a copy across file systems. Nothing writes through it: the
    new files replace their view entry by a rename (``write``), never in place."""
    try:
        os.link(source, copy, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, copy)
    return copy


def _remove_view(view):
    shutil.rmtree(view, ignore_errors=True)
    shutil.rmtree(view + ".files", ignore_errors=True)


def _swap(settings, changing, staged):
    """Put each staged file in place with a rename: nginx sees the old file or the new, never half."""
    for entry in settings.files:
        path = entry["path"]
        if path not in changing:
            continue
        if entry["state"] == "absent":
            if os.path.lexists(path):
                os.unlink(path)
            continue
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            os.makedirs(directory)
        os.replace(staged.pop(path), path)


def _generation(settings):
    """The master and its workers now, to tell later whether something else reloaded nginx."""
    binary = shutil.which(settings.nginx_binary) or settings.nginx_binary
    master, _pid_file = nginx_process.find_master(settings.config, settings.prefix, settings.pid_file, binary)
    return None if master is None else (master, frozenset(nginx_process.children(master)))


def _in_place_problem(scratch):
    """Why nginx -t cannot see staged files at their live paths here (None: it can)."""
    if os.geteuid() != 0:
        return "that needs root"
    unshare = shutil.which("unshare")
    if unshare is None:
        return "unshare (util-linux) is not installed"
    try:
        proc = subprocess.run([unshare, "--mount", "--propagation", "private", "sh", "-c",
                               'mount --bind "$1" "$1"', "sh", scratch], capture_output=True, text=True,
                              timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return "unshare failed: %s" % exc
    if proc.returncode != 0:
        return "this host has no private mount namespace for it (%s)" % (proc.stderr.strip() or proc.returncode)
    return None


def _recover(settings, run_command, result, journal):
    """Finish a deploy that died: put its snapshot back and, if it had reached the reload, reload
    nginx onto the restored files and check them."""
    managed = {entry["path"] for entry in settings.files}
    tree = os.path.dirname(os.path.abspath(settings.config)) + os.sep
    foreign = [f["path"] for f in journal.get("files", ())
               if f["path"] not in managed and not f["path"].startswith(tree)]
    if foreign:
        raise Stopped("the unfinished transaction %s names files this deploy does not manage (%s); "
                      "refusing to replay it" % (journal.get("name"), ", ".join(foreign[:3])))
    try:
        restored = transaction.rollback(settings.backup_dir)
    except (OSError, transaction.TransactionError) as exc:
        raise Stopped("recovering the unfinished transaction %s failed: %s" % (journal.get("name"), exc)) from exc
    result["recovered"] = list(restored) or ["(all files were intact)"]
    result["changed"] = True
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(journal.get("started") or 0))
    reloaded = journal.get("state") in ("reloading", "reloaded")
    if reloaded:
        # Only a reload: the restored files were live and healthy before that run; this run's own
        # health checks are for its own change, judged after its own reload.
        try:
            reload(settings, run_command)
        except StepFailed as failure:
            raise Stopped("restored the files of the deploy of %s that was interrupted after its reload (%s), but "
                          "reloading nginx onto them failed: %s" % (when, journal.get("name"), failure)) from None
        result["recovered"].append("(nginx reloaded onto the restored files)")
    result["recovery"] = "recovered the deploy of %s that was interrupted %s its reload (%s): %s%s" % (
        when, "after" if reloaded else "before", journal.get("name"),
        "restored %s" % ", ".join(restored) if restored else "its files were intact",
        ", and reloaded nginx onto them" if reloaded else "")


def _check_space(settings, paths):
    """Refuse to start where a file system is read-only or cannot hold what the deploy writes there.

    What is written, by file system: each new file staged beside the one it replaces (the old one
    stays as a hard link for the rollback: no space); in the backup directory, the snapshot's copy
    of each file replaced, the staged copy of the configuration folder that is validated, and the
    reserve that lets a rollback run on a full disk.
    """
    needed = {}

    def need(directory, label, size):
        directory = _nearest_dir(directory)
        entry = needed.setdefault(os.stat(directory).st_dev, [directory, {}])
        entry[1][label] = entry[1].get(label, 0) + size

    for entry in settings.files:
        if entry["path"] in paths:
            need(os.path.dirname(entry["path"]), "the new files, staged beside the live ones",
                 len(entry["data"]) if entry["data"] is not None else 0)
            if os.path.isfile(entry["path"]) and not os.path.islink(entry["path"]):
                need(settings.backup_dir, "the snapshot's copies of the files they replace",
                     os.path.getsize(entry["path"]))
    need(settings.backup_dir, "the rollback's reserve", 65536 + 4 * 512 * (len(paths) + 1))
    if settings.nginx_test:
        need(settings.backup_dir, "the staged copy of the configuration folder that is validated",
             _tree_size(os.path.dirname(os.path.abspath(settings.config)), settings.backup_dir))
    for directory, parts in needed.values():
        info = os.statvfs(directory)
        if info.f_flag & os.ST_RDONLY:
            raise Stopped("the file system of %s is mounted read-only, and the deploy must write there: %s"
                          % (directory, "; ".join(parts)))
        free = info.f_bavail * info.f_frsize
        total = sum(parts.values())
        if free < total:
            raise Stopped("not enough space on the file system of %s: %d bytes free, the deploy needs %d there (%s)"
                          % (directory, free, total, "; ".join("%s: %d" % item for item in parts.items() if item[1])))


def _tree_size(folder, skip):
    """The bytes the view of ``folder`` copies into ``skip`` (hard links on its file system copy none)."""
    linked = os.stat(_nearest_dir(skip)).st_dev
    skip = os.path.realpath(skip)
    total = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if os.path.realpath(os.path.join(root, d)) != skip]
        for name in files:
            with contextlib.suppress(OSError):
                info = os.lstat(os.path.join(root, name))
                if info.st_dev != linked or not stat.S_ISREG(info.st_mode):
                    total += info.st_size
    return total


def _roll_back(settings, run_command, result, failure, reloaded, step, generation=None):
    rollback_started = time.monotonic()
    step("rollback")
    _QUIET["rolling back"] = True  # a second signal must not cut the rollback short
    try:
        transaction.rollback(settings.backup_dir)
    except (OSError, transaction.TransactionError) as exc:
        _rollback_failed(settings, result, failure, reloaded, exc)
        return
    with contextlib.suppress(OSError, transaction.TransactionError):
        transaction.prune(settings.backup_dir, settings.keep)
    outcome = "nginx was not reloaded"
    outside = ""
    if not reloaded and generation is not None and _generation(settings) != generation:
        # Something else (a certbot hook, an admin, systemd) reloaded nginx meanwhile: whatever it
        # loaded, only a reload puts the restored files live again.
        outside = "; nginx had been reloaded by something else during the deploy, so the rollback reloaded it too"
        reloaded = True
    left_out = []
    if reloaded:
        try:
            reload(settings, run_command, generation and generation[0])
            checks, left_out = _answerable(settings)
            health(settings, run_command, checks)
            outcome = "healthy"
        except StepFailed as again:
            outcome = "NOT healthy: %s" % again
    said = " and healthy" if outcome == "healthy" else ", " + outcome
    if outside:
        said = "%s: %s" % (outside, outcome)
    if left_out:
        said += " (health checks left out after the rollback: %s)" % "; ".join(left_out)
    result.update(failed=True, changed=False, msg="rolled back: %s; previous config restored%s (rollback took "
                  "%.2f s)" % (failure, said, time.monotonic() - rollback_started))


def _rollback_failed(settings, result, failure, reloaded, exc):
    """The rollback itself failed: say so, and what is live now. Nothing more is reloaded (the
    files on disk are a mix); the transaction stays open, for the next run to finish."""
    restored = getattr(exc, "restored", [])
    not_restored = getattr(exc, "failed", None) or {"(the snapshot)": str(exc)}
    live = ("nginx still runs the new configuration (this deploy reloaded it)" if reloaded
            else "nginx was not reloaded: it still runs the previous configuration")
    result.update(failed=True, changed=True, rollback_failed=True, msg=(
        "ROLLBACK FAILED after %s; not restored: %s; restored: %s; %s; the transaction %s stays open: the next "
        "deploy to this host restores it first" % (
            failure, "; ".join("%s (%s)" % item for item in sorted(not_restored.items())),
            ", ".join(restored) or "nothing", live, result.get("snapshot"))))


def _unchanged(settings, run_command, result, step):
    """Nothing to deploy: check the live tree and the site, reload nothing."""
    step("validation")
    report, result["probes"] = validate(settings)
    result["findings"] = [f.as_dict() for f in report.findings]
    blocking = _blocking(report, settings.fail_on)
    if blocking:
        result.update(failed=True, msg="the live configuration fails validation:\n" + _summary(blocking))
        return result
    step("health check")
    try:
        health(settings, run_command, into=result["health"])
    except StepFailed as failure:
        result.update(failed=True, msg=str(failure))
    return result


_CHECK_STAGE = "preflight-gate-"


def _sweep_stages():
    """Remove the staged copies of check-mode runs that were killed (SIGKILL leaves no way to clean up):
    each is named after its process, and a process that is gone needs its copy no more."""
    folder = tempfile.gettempdir()
    for name in os.listdir(folder):
        if not name.startswith(_CHECK_STAGE):
            continue
        pid = name[len(_CHECK_STAGE):].split("-", 1)[0]
        path = os.path.join(folder, name)
        if pid.isdigit() and not nginx_process.is_alive(int(pid)) and os.lstat(path).st_uid == os.geteuid():
            shutil.rmtree(path, ignore_errors=True)


def _staged(settings, result, step):
    """Check mode: validate the tree as it would be, with the new files read from a staged copy.

    The configuration folder is copied and the new files written into the
    copy; the checker reads the copy in place of the live folder (absolute
    includes and sites-enabled links included), and every other path live.
    """
    step("staged validation")
    _sweep_stages()
    stage = tempfile.mkdtemp(prefix="%s%d-" % (_CHECK_STAGE, os.getpid()))
    try:
        mapping = _stage_view(settings, result["changing"], os.path.join(stage, "conf"))
        report, _probes = validate(settings, mapping, probe=False)
        if settings.nginx_test:
            report.add(_staged_nginx_test(settings, mapping, result, report))
        result["findings"] = [f.as_dict() for f in report.findings]
        result["changes"] = facts.semantic_diff(_facts(settings), facts.model_facts(report.model))
        blocking = _blocking(report, settings.fail_on)
        if blocking:
            result.update(failed=True, msg="check mode: the new files would fail validation:\n"
                          + _summary(blocking))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return result


# Bind each staged folder or file over its live place, in a mount namespace of its own, then run nginx.
_IN_PLACE = 'while [ "$1" != -- ]; do mount --bind "$1" "$2" || exit 97; shift 2; done; shift; exec "$@"'


def _files_nginx_t_creates(settings, report):
    """The files nginx -t opens for writing (and so creates): the pid file, the error and access
    logs of the tree, nginx's compiled-in defaults; as nginx sees them (None in their place
    when they cannot be worked out)."""
    binary = shutil.which(settings.nginx_binary) or settings.nginx_binary
    built = nginx_process.compiled_paths(binary)
    prefix = settings.prefix or built.get("prefix") or os.path.dirname(os.path.abspath(settings.config))
    paths = {built.get("pid-path"), built.get("error-log-path"), built.get("http-log-path")}
    for directive in report.config.walk() if report.config is not None else ():
        if directive.name in ("pid", "error_log", "access_log") and directive.args:
            path = directive.args[0]
            if path == "off" or path.startswith(("syslog:", "memory:", "stderr", "/dev/")) or "$" in path:
                continue
            paths.add(path if os.path.isabs(path) else os.path.join(prefix, path))
    return {path for path in paths if path}


def _remove_what_nginx_t_made(before, candidates):
    """nginx -t creates its pid file and logs (empty) where they did not exist: remove those again,
    so that a test leaves nothing behind (an empty pid file at a new path would pass for a stopped
    nginx)."""
    for path in candidates - before:
        with contextlib.suppress(OSError):
            if os.path.isfile(path) and not os.path.islink(path) and os.path.getsize(path) == 0:
                os.unlink(path)


def _staged_nginx_test(settings, mapping, result, report=None):
    """nginx -t on the staged files, seen by nginx at their live paths; findings, or a note why not."""
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or unshare is None:
        result["warnings"] = ["check mode did not run nginx -t on the new files: that needs root and unshare "
                              "(util-linux) to show them in place; the rules did run"]
        return []
    pairs = []
    for live, staged in mapping.items():
        if os.path.exists(live) and os.path.lexists(staged):  # a file removed outside the folder stays visible
            pairs += [staged, live]
    wrapper = [unshare, "--mount", "--propagation", "private", "sh", "-c", _IN_PLACE, "sh"] + pairs + ["--"]
    candidates = _files_nginx_t_creates(settings, report) if report is not None else set()
    before = {path for path in candidates if os.path.lexists(path)}
    try:
        nginx_result, findings = engine.run_nginx_test(settings.config, settings.prefix, settings.nginx_binary,
                                                       wrapper=wrapper)
    finally:
        _remove_what_nginx_t_made(before, candidates)
    result["nginx_test"] = {"ran": nginx_result.get("ran", False), "rc": nginx_result.get("rc"),
                            "in_place": True}
    return findings


def subprocess_runner(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, env=dict(os.environ, LC_ALL="C"))
    return proc.returncode, proc.stdout, proc.stderr
