# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One transactional nginx deploy, start to end, in one process on the host.

recover an unfinished run -> plan -> snapshot -> write -> validate (rules,
nginx -t, backend probes) -> reload and wait for new workers -> health checks
-> commit. Any failure after the snapshot restores the files byte for byte,
reloads nginx onto them if it had been reloaded, and checks them again.

The gate role calls this through the nginx_deploy module: one module run per
host instead of a dozen tasks, which is most of what a deploy costs.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import tempfile
import time

from ansible_collections.preflight.nginx.plugins.module_utils import (
    backends,
    engine,
    facts,
    http_probe,
    nginx_config,
    nginx_process,
    transaction,
)
from ansible_collections.preflight.nginx.plugins.module_utils.findings import at_least

CHECK_OPTIONS = ("url", "method", "status", "body_regex", "headers", "timeout", "retries", "delay", "deadline",
                 "resolve", "connect_to", "validate_certs", "ca_path", "unix_socket")


class StepFailed(Exception):
    def __init__(self, step, reason):
        Exception.__init__(self, "%s failed: %s" % (step, reason))
        self.step = step
        self.reason = reason


class Settings:
    """Everything one deploy needs to know (the module's options)."""

    def __init__(self, files, config, prefix=None, nginx_binary="nginx", nginx_test=True, fail_on="error",
                 skip_rules=(), probe="warning", probe_timeout=1.0, reload_method="signal", service="nginx",
                 pid_file=None, reload_timeout=10.0, health_checks=(), backup_dir="/var/backups/preflight-nginx",
                 keep=5, curl="curl"):
        self.files = files
        self.config = config
        self.prefix = prefix or None
        self.nginx_binary = nginx_binary
        self.nginx_test = nginx_test
        self.fail_on = fail_on
        self.skip_rules = list(skip_rules or ())
        self.probe = probe
        self.probe_timeout = probe_timeout
        self.reload_method = reload_method
        self.service = service
        self.pid_file = pid_file or None
        self.reload_timeout = reload_timeout
        self.health_checks = list(health_checks or ())
        self.backup_dir = backup_dir
        self.keep = keep
        self.curl = curl


def _ids(entry):
    uid = gid = -1
    if entry.get("owner") not in (None, ""):
        owner = str(entry["owner"])
        uid = int(owner) if owner.isdigit() else pwd.getpwnam(owner).pw_uid
    if entry.get("group") not in (None, ""):
        group = str(entry["group"])
        gid = int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
    return uid, gid


def _mode(entry):
    mode = entry.get("mode") or "0644"
    return int(str(mode), 8) if not isinstance(mode, int) else mode


def needs_change(entry):
    """True when the file's bytes, mode, owner or group differ from the entry."""
    path = entry["dest"]
    if not os.path.isfile(path):
        return True
    with open(path, "rb") as handle:
        if handle.read() != entry["content"].encode("utf-8"):
            return True
    info = os.stat(path)
    uid, gid = _ids(entry)
    return (info.st_mode & 0o7777) != _mode(entry) or uid not in (-1, info.st_uid) or gid not in (-1, info.st_gid)


def write(entry, root=None, source_dir=None):
    """Write one file atomically (under ``root`` instead of its place when staging)."""
    path = entry["dest"]
    if root is not None:
        path = os.path.join(root, os.path.relpath(path, source_dir))
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory)
    uid, gid = _ids(entry)
    transaction.write_atomic(path, entry["content"].encode("utf-8"), _mode(entry), uid, gid)


def _summary(findings):
    lines = []
    for finding in findings:
        file = finding.file
        hint = " (help: %s)" % finding.hint if finding.hint else ""
        lines.append("%s:%s: %s[%s] %s%s" % (file, finding.line or "-", finding.severity, finding.rule,
                                             finding.message, hint))
    return "\n".join(lines)


def validate(settings, mapping=None):
    """(report, probes) of the tree: rules, nginx -t, backend probes; ``mapping`` reads a staged copy."""
    report = engine.check_file(settings.config, prefix=settings.prefix, mapping=mapping,
                               ignore=settings.skip_rules, nginx_test=settings.nginx_test and not mapping,
                               nginx_binary=settings.nginx_binary)
    probes = []
    if settings.probe != "none" and not mapping:
        probes = backends.probe_into(report, settings.probe, settings.probe_timeout)
    return report, probes


def _blocking(report, fail_on):
    return [f for f in report.findings if at_least(f.severity, fail_on)]


def reload(settings, run_command):
    """Reload nginx and wait until only its new workers take connections."""
    binary = shutil.which(settings.nginx_binary) or settings.nginx_binary
    master, pid_file = nginx_process.find_master(settings.config, settings.prefix, settings.pid_file, binary)
    if master is None:
        raise StepFailed("reload", nginx_process.not_running(pid_file))
    try:
        nginx_process.reload(master, settings.reload_method, settings.service, settings.reload_timeout, run_command)
    except nginx_process.ReloadError as exc:
        raise StepFailed("reload", str(exc)) from exc


def health(settings, run_command):
    """Run every health check; raises StepFailed on the first that fails."""
    results = []
    for check in settings.health_checks:
        options = {key: value for key, value in check.items() if key in CHECK_OPTIONS and value is not None}
        spec = http_probe.CheckSpec(curl=settings.curl, **options)
        result = http_probe.run(spec, run_command)
        results.append({"url": spec.url, "ok": result["ok"], "status": result["status"],
                        "attempts": result["attempts"], "elapsed": result["elapsed"], "error": result["error"]})
        if not result["ok"]:
            raise StepFailed("health check", "%s %s after %d attempt%s: %s" % (
                spec.method, spec.url, result["attempts"], "" if result["attempts"] == 1 else "s", result["error"]))
    return results


def _facts(settings):
    try:
        return facts.config_facts(settings.config, prefix=settings.prefix)
    except nginx_config.ConfigLoadError:
        return {}


def run(settings, run_command, check_mode=False):
    """Deploy; returns a result dict (``failed`` and ``msg`` say what went wrong)."""
    result = {"changed": False, "failed": False, "ok": True, "msg": "", "recovered": [], "changing": [], "diff": [],
              "findings": [], "probes": [], "health": [], "steps": [], "snapshot": None}
    started = time.monotonic()

    def step(name):
        result["steps"].append({"name": name, "at": round(time.monotonic() - started, 3)})

    if transaction.active(settings.backup_dir) is not None:
        step("recover")
        if not check_mode:
            result["recovered"] = transaction.rollback(settings.backup_dir) or ["(all files were intact)"]
            result["changed"] = True
    step("plan")
    result["changing"] = [entry["dest"] for entry in settings.files if needs_change(entry)]
    if not result["changing"]:
        return _unchanged(settings, run_command, result, step)
    result["changed"] = True
    if check_mode:
        return _staged(settings, result, step)
    before = _facts(settings)
    step("snapshot")
    try:
        journal = transaction.begin(settings.backup_dir, result["changing"], settings.config)
    except (transaction.TransactionError, OSError) as exc:
        result.update(failed=True, changed=False, msg="snapshot failed, nothing was written: %s (backup_dir: %s)"
                      % (exc, settings.backup_dir))
        return result
    result["snapshot"] = journal["name"]
    reloaded = False
    try:
        step("write")
        for entry in settings.files:
            if entry["dest"] in result["changing"]:
                write(entry)
        step("validation")
        report, result["probes"] = validate(settings)
        result["findings"] = [f.as_dict() for f in report.findings]
        blocking = _blocking(report, settings.fail_on)
        if blocking:
            raise StepFailed("validation", "%d finding%s at or above %s:\n%s" % (
                len(blocking), "" if len(blocking) == 1 else "s", settings.fail_on, _summary(blocking)))
        result["diff"] = backends.semantic_diff(before, facts.model_facts(report.model))
        step("reload")
        reloaded = True
        reload(settings, run_command)
        step("health check")
        result["health"] = health(settings, run_command)
        step("commit")
        transaction.commit(settings.backup_dir, settings.keep)
    except Exception as exc:  # every failure after the snapshot restores it
        failure = exc if isinstance(exc, StepFailed) else StepFailed(result["steps"][-1]["name"], exc)
        _roll_back(settings, run_command, result, failure, reloaded, step)
    return result


def _roll_back(settings, run_command, result, failure, reloaded, step):
    rollback_started = time.monotonic()
    step("rollback")
    transaction.rollback(settings.backup_dir)
    outcome = "nginx was not reloaded"
    if reloaded:
        try:
            reload(settings, run_command)
            health(settings, run_command)
            outcome = "healthy"
        except StepFailed as again:
            outcome = "NOT healthy: %s" % again
    result.update(failed=True, msg="rolled back: %s; previous config restored%s (rollback took %.2f s)" % (
        failure, " and healthy" if outcome == "healthy" else ", " + outcome, time.monotonic() - rollback_started))


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
        result["health"] = health(settings, run_command)
    except StepFailed as failure:
        result.update(failed=True, msg=str(failure))
    return result


def _staged(settings, result, step):
    """Check mode: validate the tree as it would be, with the new files read from a staged copy.

    The configuration folder is copied and the new files written into the
    copy; the checker reads the copy in place of the live folder (absolute
    includes and sites-enabled links included), and every other path live.
    """
    step("staged validation")
    live_dir = os.path.dirname(os.path.abspath(settings.config))
    stage = tempfile.mkdtemp(prefix="preflight-gate-")
    try:
        staged_dir = os.path.join(stage, "conf")
        shutil.copytree(live_dir, staged_dir, symlinks=True)
        mapping = {live_dir: staged_dir}
        for number, entry in enumerate(settings.files):
            if entry["dest"] not in result["changing"]:
                continue
            if entry["dest"].startswith(live_dir + os.sep):
                write(entry, staged_dir, live_dir)
            else:  # a file outside the folder stands in for itself
                elsewhere = os.path.join(stage, "file-%d" % number)
                mapping[entry["dest"]] = os.path.join(elsewhere, os.path.basename(entry["dest"]))
                write(entry, elsewhere, os.path.dirname(entry["dest"]))
        report, _probes = validate(settings, mapping)
        result["findings"] = [f.as_dict() for f in report.findings]
        result["diff"] = backends.semantic_diff(_facts(settings), facts.model_facts(report.model))
        blocking = _blocking(report, settings.fail_on)
        if blocking:
            result.update(failed=True, msg="check mode: the new files would fail validation:\n"
                          + _summary(blocking))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return result


def subprocess_runner(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, env=dict(os.environ, LC_ALL="C"))
    return proc.returncode, proc.stdout, proc.stderr
