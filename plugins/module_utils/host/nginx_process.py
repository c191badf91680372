# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find a running nginx and tell whether a reload really took effect.

nginx answers a reload signal at once, whatever happens next: when the new
configuration cannot be applied (a port already taken, a file gone), the
master logs an error and keeps its old workers. A reload has taken effect
only when the master has started new worker processes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

from ansible_collections.preflight.nginx.plugins.module_utils import nginx_config


def compiled_paths(binary):
    """What ``nginx -V`` says it was built with: {"prefix": ..., "pid-path": ..., "error-log-path": ...}."""
    try:
        output = subprocess.run([binary, "-V"], capture_output=True, timeout=30, check=False).stderr
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return {match.group(1).decode(): match.group(2).decode()
            for match in re.finditer(rb"--(prefix|pid-path|error-log-path|http-log-path)=(\S+)", output)}


def compiled_pid_path(binary):
    return compiled_paths(binary).get("pid-path")


def pid_file_of(config_path, prefix, binary):
    """The pid file nginx writes for this configuration."""
    try:
        loaded = nginx_config.load(config_path, prefix=prefix, resolve_includes=False)
        pids = [d for d in loaded.root.block if d.name == "pid" and d.args]
    except nginx_config.ConfigLoadError:
        pids = []
    if pids:
        path = pids[-1].args[0]
        if not os.path.isabs(path):
            # nginx starts a relative pid path at its prefix (-p, else the one it was built with), not at
            # the configuration's folder, which is where relative includes start.
            path = os.path.join(prefix or compiled_paths(binary).get("prefix")
                                or os.path.dirname(os.path.abspath(config_path)), path)
        return path
    return compiled_pid_path(binary)


def read_pid(path):
    try:
        with open(path) as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        return None
    return pid if is_alive(pid) and is_nginx_master(pid) else None


def is_nginx_master(pid):
    """Whether ``pid`` is an nginx master process: a stale pid file's number may belong to anything now.

    nginx renames its master "nginx: master process ..."; without /proc there is nothing to ask.
    """
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            command = handle.read()
    except FileNotFoundError:
        return not os.path.isdir("/proc/self")  # no /proc at all (not Linux): trust the pid file
    except OSError:
        return False
    return command.startswith(b"nginx: master process")


def is_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def children(pid):
    """Process ids whose parent is ``pid`` (from /proc)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry))
    return found


def _title(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def _still_accepting(pid, master):
    """True while an old worker can still take new connections (it runs and is not shutting down)."""
    title = _title(pid)
    return bool(title) and "worker process" in title and "shutting down" not in title and pid in children(master)


def wait_for_new_workers(master, old_workers, timeout, sleep=time.sleep, clock=time.monotonic):
    """Wait until new workers run and no old worker takes connections any more; returns the new ones.

    Right after the new workers start, an old worker may still accept a
    connection for a moment, and answer it with the old configuration: a
    health check then would check the wrong thing.
    """
    end = clock() + timeout
    new = []
    while True:
        if not new:
            new = sorted(children(master) - set(old_workers))
        if new and not any(_still_accepting(pid, master) for pid in old_workers):
            return new
        if not is_alive(master) or clock() >= end:
            return []
        sleep(0.02)


class ReloadError(Exception):
    """The reload was refused or did not take effect."""


def find_master(config_path, prefix, pid_file, binary):
    """(master pid or None, the pid file looked at)."""
    pid_file = pid_file or pid_file_of(config_path, prefix, binary)
    return (read_pid(pid_file) if pid_file else None), pid_file


def not_running(pid_file):
    return "nginx is not running: no live master process in pid file %s" % pid_file


def reload(master, method, service, timeout, run_command):
    """Reload through systemd or the reload signal; (old workers, new workers) or ReloadError."""
    old = children(master)
    if method == "systemd":
        rc, out, err = run_command(["systemctl", "reload", service])
        if rc != 0:
            raise ReloadError("systemctl reload %s failed: %s" % (service, (err or out).strip()))
    else:
        os.kill(master, signal.SIGHUP)
    new = wait_for_new_workers(master, old, timeout)
    if not new:
        reason = "the master process exited" if not is_alive(master) else (
            "no new workers after %gs: nginx refused the new configuration or is still applying it "
            "(see its error log)" % timeout)
        raise ReloadError("nginx reload did not take effect: %s" % reason)
    return sorted(old), new
