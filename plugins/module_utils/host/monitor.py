# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of the monitor: watch the addresses nginx really uses, write metrics, report changes.

Six checks, each on its own so that one failing never stops the others:

1. ``config``: what nginx loads (``nginx -T``, or the main file when that fails) through the engine;
2. ``backends``: a TCP connection to every upstream server and ``*_pass`` target (the gate's probe);
3. ``listens``: every configured listen socket is held by nginx (``/proc``);
4. ``drift``: the files the gate manages against what it last committed (its journal);
5. ``env``: env files judged with the bind/connect model of lint and env_check;
6. ``http``: the curl health checks, as the gate runs them.

The run writes Prometheus textfile metrics (``preflight_nginx_*``), logs one line per change of
state and hands each change to the alert command. It is bounded: probes share a budget below the
interval, and an unchanged configuration is not parsed again (a cache keyed by its content).
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

from ansible_collections.preflight.nginx.plugins.module_utils import (
    addresses,
    endpoint_scan,
    engine,
    env_endpoints,
    nginx_config,
)
from ansible_collections.preflight.nginx.plugins.module_utils.findings import one_line
from ansible_collections.preflight.nginx.plugins.module_utils.host import (
    backends,
    drift,
    http_probe,
    listens,
    transaction,
)
from ansible_collections.preflight.nginx.plugins.module_utils.host.textfile import Metrics
from ansible_collections.preflight.nginx.plugins.module_utils.rules import RULES
from ansible_collections.preflight.nginx.plugins.module_utils.source import Source

CHECKS = ("config", "backends", "listens", "drift", "env", "http")
OK = "ok"
CRITICAL = frozenset(("error", "down", "missing", "foreign", "failed", "unreadable"))
CACHE_VERSION = 2
DEFAULTS = {
    "checks": [], "interval": 30, "budget": None, "alert_command": [], "curl": "curl",
    "nginx_binary": "nginx", "nginx_config": "/etc/nginx/nginx.conf", "nginx_prefix": None, "pid_file": None,
    "backup_dir": "/var/backups/preflight-nginx", "env_files": [], "scan_paths": [], "scan_host": False,
    "probe_timeout": 2.0, "probe_concurrency": 32,
    "enabled": list(CHECKS), "textfile": None, "state_dir": None,
}


def log(message, priority=6):
    """One line to the journal (stderr; under systemd a "<N>" prefix sets the priority)."""
    prefix = "<%d>" % priority if os.environ.get("JOURNAL_STREAM") else ""
    sys.stderr.write("%spreflight-nginx-monitor: %s\n" % (prefix, message.replace("\n", " ")))
    sys.stderr.flush()


class Settings(SimpleNamespace):
    """The monitor's configuration (the JSON file the role writes), checked."""

    @classmethod
    def from_dict(cls, data):
        unknown = sorted(set(data) - set(DEFAULTS) - {"state_file"})
        if unknown:
            raise ValueError("unknown setting%s: %s" % ("s" if len(unknown) > 1 else "", ", ".join(unknown)))
        values = dict(DEFAULTS, **data)
        if not values["state_dir"]:
            if not data.get("state_file"):
                raise ValueError("state_dir is required")
            values["state_dir"] = os.path.dirname(data["state_file"])
        values.pop("state_file", None)
        if not values["textfile"]:
            raise ValueError("textfile is required")
        bad = sorted(set(values["enabled"]) - set(CHECKS))
        if bad:
            raise ValueError("unknown check %s (known: %s)" % (", ".join(bad), ", ".join(CHECKS)))
        for key in ("interval", "probe_timeout", "probe_concurrency"):
            if not isinstance(values[key], (int, float)) or values[key] <= 0:
                raise ValueError("%s must be a positive number, not %r" % (key, values[key]))
        if values["budget"] is None:
            values["budget"] = values["interval"] * 0.8  # room for the metrics and alerts before the next run
        problems = []
        for index, check in enumerate(values["checks"]):
            name = check.get("name") if isinstance(check, dict) else None
            where = "check %s" % name if name else "checks[%d]" % index
            if not name:
                problems.append("%s: needs a name" % where)
            problems.extend("%s: %s" % (where, problem) for problem in http_probe.check_problems(check, ("name",)))
        if problems:
            raise ValueError("; ".join(problems))
        return cls(**values)


def load_settings(path):
    with open(path) as handle:
        return Settings.from_dict(json.load(handle))


class Run:
    """What one run gathers: metrics, states (key -> (state, detail, details for the alert))."""

    def __init__(self, settings, started):
        self.settings = settings
        self.started = started
        self.deadline = started + settings.budget
        self.metrics = Metrics()
        self.states = {}

    def remaining(self):
        return self.deadline - time.monotonic()

    def state(self, key, state, detail="", **details):
        self.states[key] = (state, detail, details)


# --- 1. the live config ------------------------------------------------------------------------------

def nginx_dump(settings, timeout):
    """``nginx -T`` output (bytes); ConfigLoadError saying why there is none."""
    binary = engine.find_nginx(settings.nginx_binary)
    if binary is None:
        raise nginx_config.ConfigLoadError("nginx binary %s not found" % settings.nginx_binary)
    command = [binary, "-T", "-q", "-c", settings.nginx_config]
    if settings.nginx_prefix:
        command += ["-p", settings.nginx_prefix.rstrip("/") + "/"]
    try:
        proc = subprocess.run(command, capture_output=True, timeout=max(timeout, 1), check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise nginx_config.ConfigLoadError("nginx -T failed: %s" % exc) from exc
    if not nginx_config.is_dump(proc.stdout):
        error = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise nginx_config.ConfigLoadError("nginx -T -c %s failed (exit %s): %s" % (
            settings.nginx_config, proc.returncode, error[-1] if error else "no output"))
    return proc.stdout


def summarise(report, settings):
    """What the other checks need from a checked configuration, as plain data (it goes in the cache)."""
    model = report.model
    targets = []
    for directive, endpoint, what, group, used in backends.targets(model):
        if endpoint.problems or endpoint.kind not in ("ipv4", "ipv6", "name", "unix") or \
                (endpoint.kind != "unix" and endpoint.port is None):
            continue  # the rules report those; a probe has nothing to connect to
        upstream = group[len("upstream "):] if group.startswith("upstream ") else ""
        targets.append({"upstream": upstream, "group": group, "member": endpoint.display, "value": endpoint.raw,
                        "what": what, "used": used, "file": directive.file, "line": directive.line,
                        "kind": endpoint.kind, "host": endpoint.host, "address": endpoint.address,
                        "port": endpoint.port, "unix_path": endpoint.unix_path})
    sockets = sorted({listen.socket for listen in model.listens() if listen.socket})
    pid_file = None
    for directive in report.config.root.block or ():
        if directive.name == "pid" and directive.args:
            pid_file = directive.args[0]
    # Where nginx looks for included files: a new file there changes the configuration.
    base = os.path.dirname(os.path.abspath(settings.nginx_config))
    includes = sorted({os.path.join(base, d.args[0]) for d in report.config.walk()
                       if d.name == "include" and len(d.args) == 1})
    return {"findings": [f.as_dict() for f in report.findings], "targets": targets, "listens": sockets,
            "files": list(report.files), "includes": includes, "pid_file": pid_file}


def check_config(run, cache):
    """Run the engine on the live config; returns the summary (CheckFailed when nothing could be read).

    When every file of the last run has the same bytes and every include pattern matches the same
    files, nginx would read the same configuration: the last summary is used, nothing is parsed
    and nginx -T is not run (at 5,000 servers it costs more CPU than the rest of a run).
    """
    settings = run.settings
    entry = cache.fresh(settings.nginx_config)
    if entry is not None:
        summary, dump_error = entry["summary"], entry["dump_error"]
    else:
        dump_error = None
        try:
            dump = nginx_dump(settings, min(60, run.remaining()))
        except nginx_config.ConfigLoadError as exc:
            dump, dump_error = None, "%s; reading %s instead" % (exc, settings.nginx_config)
        try:
            described = Source.dump(dump, settings.nginx_config) if dump is not None else \
                Source.file(settings.nginx_config, prefix=settings.nginx_prefix)
            report = engine.check(described)
        except nginx_config.ConfigLoadError as exc:
            run.state("config:nginx-T", "failed", dump_error or str(exc), FILE=settings.nginx_config)
            raise CheckFailed("cannot read the configuration %s: %s" % (settings.nginx_config, exc)) from exc
        summary = summarise(report, settings)
        cache.put(settings.nginx_config, summary, dump_error)
    if dump_error:
        run.state("config:nginx-T", "failed", dump_error, FILE=settings.nginx_config)
    else:
        run.state("config:nginx-T", OK, "nginx -T reads the configuration")
    run.metrics.add("config_nginx_dump_ok", "1 when nginx -T printed the live configuration, 0 when the monitor "
                    "fell back to reading the main file itself.", {}, int(not dump_error))
    run.metrics.add("config_cache_hit", "1 when no file of the configuration changed since the last run, so "
                    "nothing was parsed again.", {}, int(entry is not None))
    counts = {(rule.id, rule.severity): 0 for rule in RULES.values()}
    for finding in summary["findings"]:
        counts[(finding["rule"], finding["severity"])] = counts.get((finding["rule"], finding["severity"]), 0) + 1
        if finding["severity"] in ("error", "warning"):
            key = "finding:%s:%s:%s" % (finding["rule"], finding["file"], finding["line"])
            run.state(key, finding["severity"], one_line(finding),
                      FILE=finding["file"] or "", LINE=str(finding["line"] or ""), RULE=finding["rule"])
    for (rule, severity), count in sorted(counts.items()):
        run.metrics.add("config_findings", "Findings of the engine on the live configuration, per rule and "
                        "severity.", {"rule": rule, "level": severity}, count)
    run.metrics.add("config_files", "Files in the live configuration.", {}, len(summary["files"]))
    return summary


class CheckFailed(Exception):
    """A check could not run; its message says why (a log line and a metric, never a traceback)."""


class Cache:
    """The last run's summary of the configuration, with what it was made from: the sha256 of every
    file read, and the files every include pattern matched."""

    def __init__(self, path):
        self.path = path
        self.entry = None
        try:
            with open(path) as handle:
                entry = json.load(handle)
            if entry.get("version") == CACHE_VERSION:
                self.entry = entry
        except (OSError, ValueError, AttributeError):
            pass  # no cache, or a damaged one: parse again

    def fresh(self, main_file):
        """The cached entry when nothing it was made from changed, else None."""
        entry = self.entry
        if not entry or entry.get("main") != main_file:
            return None
        if _fingerprint(entry["summary"]) != entry.get("fingerprint"):
            return None
        return entry

    def put(self, main_file, summary, dump_error):
        self.entry = {"version": CACHE_VERSION, "main": main_file, "summary": summary, "dump_error": dump_error,
                      "fingerprint": _fingerprint(summary)}
        try:
            transaction.write_atomic(self.path, json.dumps(self.entry).encode(), 0o600)
        except OSError as exc:
            log("cannot write the cache %s: %s" % (self.path, exc.strerror or exc), 4)


def _fingerprint(summary):
    files = {}
    for path in summary["files"]:
        try:
            files[path] = drift.sha256_of(path)
        except OSError as exc:
            files[path] = "unreadable: %s" % (exc.strerror or exc)
    includes = {pattern: sorted(glob.glob(pattern)) for pattern in summary.get("includes", ())}
    return {"files": files, "includes": includes}


# --- 2. backends -------------------------------------------------------------------------------------

def probe_all(targets, timeout, concurrency, deadline):
    """Connect to each distinct target with at most ``concurrency`` at once, all within ``deadline``.

    Returns {socket key: error text, None when it answered, or CUT when the budget ran out first}.
    Worker threads are daemons, and each connect waits no longer than the budget left, so a hanging
    backend can neither hold the run nor keep the process alive.
    """
    pending = []
    seen = set()
    for target in targets:
        key = _socket_key(target)
        if key not in seen:
            seen.add(key)
            pending.append((key, target))
    pending.reverse()  # taken from the end: in the configuration's order
    results = {}
    lock = threading.Lock()
    done = threading.Event()

    def worker():
        while True:
            with lock:
                if not pending:
                    return
                key, target = pending.pop()
            left = deadline - time.monotonic()
            if left <= 0:
                error = CUT
            else:
                wait = min(timeout, left)
                error = backends.connect(_endpoint(target), wait)
                if error and wait < timeout and time.monotonic() >= deadline - 0.01 and "no answer" in error:
                    error = CUT  # it was the budget, not the probe's own timeout, that ended it
            with lock:
                results[key] = error
                if len(results) == len(seen):
                    done.set()

    if not seen:
        return results
    for _worker in range(min(int(concurrency), len(seen))):
        threading.Thread(target=worker, daemon=True).start()
    done.wait(max(deadline - time.monotonic(), 0) + 0.2)  # each connect ends by the deadline
    with lock:
        for key in seen:
            results.setdefault(key, CUT)
    return dict(results)


CUT = "cut short"


def _socket_key(target):
    if target["kind"] == "unix":
        return target["unix_path"]
    return "%s|%s" % (target["address"] or target["host"], target["port"])


def _endpoint(target):
    return SimpleNamespace(kind=target["kind"], unix_path=target["unix_path"], address=target["address"],
                           host=target["host"], port=target["port"], display=target["member"])


def check_backends(run, summary):
    settings = run.settings
    targets = summary["targets"]
    results = probe_all(targets, settings.probe_timeout, settings.probe_concurrency, run.deadline)
    groups = {}
    members_seen = set()
    members_written = set()
    cut = []
    for target in targets:
        error = results[_socket_key(target)]
        group = groups.setdefault(target["group"], {"upstream": target["upstream"], "used": target["used"],
                                                    "up": 0, "down": [], "cut": 0, "target": target})
        member = (target["group"], target["member"])
        if member in members_seen:
            continue  # the same server twice in one upstream: one member
        members_seen.add(member)
        if error == CUT:
            group["cut"] += 1
            cut.append("%s %s" % (target["what"], target["member"]))
            continue
        labels = {"upstream": target["upstream"], "member": target["member"]}
        if (target["upstream"], target["member"]) not in members_written:
            members_written.add((target["upstream"], target["member"]))
            run.metrics.add("backend_up", "1 when a TCP connection to the backend succeeded, 0 when it failed "
                            "(upstream=\"\" for a literal *_pass target).", labels, int(error is None))
        if error is None:
            group["up"] += 1
        else:
            group["down"].append((target, error))
        # A member's own state is logged (with the file and line that names it) when it changes.
        run.state("backend:%s:%s" % (target["group"], target["member"]), OK if error is None else "down",
                  "%s %s (%s:%s): %s" % (target["what"], target["member"], target["file"], target["line"],
                                         error or "answers"),
                  FILE=target["file"], LINE=str(target["line"]))
    for name, group in sorted(groups.items()):
        if group["upstream"]:
            labels = {"upstream": group["upstream"]}
            total = group["up"] + len(group["down"])
            run.metrics.add("upstream_members", "Members of the upstream that were probed (backup and down "
                            "members are not).", labels, total)
            run.metrics.add("upstream_members_up", "Members of the upstream that accepted a TCP connection.",
                            labels, group["up"])
            run.metrics.add("upstream_used", "1 when a *_pass of the live configuration sends traffic to the "
                            "upstream.", labels, int(group["used"]))
        if not group["down"] or not group["used"]:
            state, detail = OK, "%s: every probed member answers" % name
        elif group["up"] == 0:
            state = "down"
            detail = "%s: every member refuses (%s): every request sent there fails" % (
                name, "; ".join("%s %s" % (t["member"], e) for t, e in group["down"][:5]))
        else:
            state = "partial"
            detail = "%s: %d of %d members down (%s)" % (name, len(group["down"]), group["up"] + len(group["down"]),
                                                         "; ".join("%s %s" % (t["member"], e)
                                                                   for t, e in group["down"][:5]))
        run.state("upstream:%s" % name, state, detail, FILE=group["target"]["file"],
                  LINE=str(group["target"]["line"]))
    run.metrics.add("backend_probes_cut_short", "Backend probes the run's time budget cut short (their state "
                    "is unknown this run).", {}, len(cut))
    if cut:
        run.state("backends:budget", "cut-short", "%d probe%s cut short by the run's budget of %gs: %s%s" % (
            len(cut), "s" if len(cut) > 1 else "", settings.budget, ", ".join(cut[:20]),
            ", ..." if len(cut) > 20 else ""))
    else:
        run.state("backends:budget", OK, "every backend probe finished within the budget")


# --- 3. listens --------------------------------------------------------------------------------------

def check_listens(run, summary):
    settings = run.settings
    pid_file = settings.pid_file or summary.get("pid_file") or "/run/nginx.pid"
    if not os.path.isabs(pid_file):
        # nginx reads a relative pid path from its prefix (-p, else the one it was built with).
        pid_file = os.path.join(settings.nginx_prefix or _built_prefix(settings.nginx_binary), pid_file)
    results, problem = listens.check(summary["listens"], pid_file)
    if problem:
        run.state("listens:pid", "failed", problem, FILE=pid_file)
    else:
        run.state("listens:pid", OK, "nginx runs")
    for result in results:
        labels = {"socket": result["socket"]}
        run.metrics.add("listen_held", "1 when nginx holds the configured listen socket.", labels,
                        int(result["state"] == "held"))
        run.metrics.add("listen_foreign", "1 when another process than nginx holds the configured socket.",
                        labels, int(result["state"] == "foreign"))
        run.state("listen:%s" % result["socket"], OK if result["state"] == "held" else result["state"],
                  result["detail"])


def _built_prefix(binary):
    """nginx's compiled-in prefix (``nginx -V``: --prefix=...), /usr/share/nginx as Debian builds it."""
    path = engine.find_nginx(binary)
    try:
        proc = subprocess.run([path, "-V"], capture_output=True, text=True, timeout=10, check=False)
        match = re.search(r"--prefix=(\S+)", proc.stdout + proc.stderr)
    except (OSError, TypeError, subprocess.TimeoutExpired):
        match = None
    return match.group(1) if match else "/usr/share/nginx"


# --- 4. drift ----------------------------------------------------------------------------------------

def check_drift(run, summary, previous):
    """Returns the baseline to keep: each managed file's findings while it matched the gate's commit."""
    findings = summary["findings"] if summary else []
    try:
        drifted, baseline = drift.check(run.settings.backup_dir, findings, previous.get("drift_baseline"))
    except transaction.TransactionError as exc:
        raise CheckFailed(str(exc)) from exc
    run.metrics.add("drift_files", "Files the gate manages that changed since it last committed them.", {},
                    len(drifted))
    run.metrics.add("drift_findings", "Error findings in files changed outside the gate.", {},
                    sum(1 for d in drifted for f in d["findings"] if f["severity"] == "error"))
    for item in drifted:
        brought = "; ".join("%s:%s %s[%s] %s" % (f["file"], f["line"], f["severity"], f["rule"], f["message"])
                            for f in item["findings"][:5])
        run.state("drift:%s" % item["path"], "drifted", "%s %s outside the gate since its last deploy%s" % (
            item["path"], item["change"], (": " + brought) if brought else " (it brought no findings)"),
            FILE=item["path"])
    return baseline


# --- 5. environment ----------------------------------------------------------------------------------

def check_env(run):
    """Env files, and the places commands live (units, crontabs, /etc/default, listed scripts), judged by the
    endpoint scan: the bind/connect model of lint and env_check, the command parser of the curl review."""
    settings = run.settings
    unreadable = 0
    paths = []
    for path in settings.env_files:
        # Named as env files: a malformed one is said with its line (the scan would only skip it).
        try:
            env_endpoints.read_env_file(path)
        except env_endpoints.EnvFileError as exc:
            unreadable += 1
            run.state("env-file:%s" % path, "unreadable", str(exc), FILE=path, LINE=str(exc.line or ""))
            continue
        run.state("env-file:%s" % path, OK, "%s reads" % path)
        paths.append(path)
    paths += list(settings.scan_paths)
    if settings.scan_host:
        paths += endpoint_scan.host_paths("/")
    result = endpoint_scan.scan(paths)
    for error in result.errors:
        unreadable += 1
        run.state("env-file:%s" % error["file"], "unreadable", "%s: %s" % (error["file"], error["message"]),
                  FILE=error["file"])
    counts = {"error": 0, "warning": 0}
    for finding in result.findings:
        if finding.severity not in counts:
            continue
        counts[finding.severity] += 1
        run.state("env:%s:%s:%s" % (finding.file, finding.line, finding.rule), finding.severity,
                  finding.one_line(), FILE=finding.file,
                  LINE=str(finding.line or ""), RULE=finding.rule)
    for severity, count in sorted(counts.items()):
        run.metrics.add("env_findings", "Endpoints in env files and commands (units, crontabs, scripts) that no "
                        "client can use (the bind/connect model of lint and env_check).", {"level": severity}, count)
    run.metrics.add("env_files_unreadable", "Env files and command files that could not be read or parsed.", {},
                    unreadable)
    run.metrics.add("env_files_scanned", "Files the environment check read.", {}, len(result.files))


# --- 6. health checks --------------------------------------------------------------------------------

CHECK_METRICS = (
    ("check_up", "Whether the last health check passed (1) or failed (0)."),
    ("check_duration_seconds", "Seconds the last health check took, retries included."),
    ("check_status_code", "HTTP status of the last attempt (0: no answer)."),
    ("check_attempts", "Requests made by the last health check."),
    ("check_last_success_timestamp_seconds", "When the check last passed (Unix time, 0: never)."),
)


def _execute(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, env=dict(os.environ, LC_ALL="C"))
    return proc.returncode, proc.stdout, proc.stderr


def check_http(run, previous):
    settings = run.settings
    kept = {}
    for check in settings.checks:
        spec = http_probe.CheckSpec.from_check(check, settings.curl, settings.state_dir)
        result = http_probe.run(spec, _execute)
        name = check["name"]
        up = bool(result["ok"])
        last = time.time() if up else previous.get(name, {}).get("last_success", 0)
        kept[name] = {"last_success": last}
        labels = {"check": name, "url": check["url"]}
        values = (int(up), result.get("elapsed", 0), result.get("status", 0), result.get("attempts", 0), last)
        for (metric, help_text), value in zip(CHECK_METRICS, values):
            run.metrics.add(metric, help_text, labels, value)
        run.state("http:%s" % name, "up" if up else "down", "check %s (%s) %s" % (
            name, addresses.redact(check["url"]),
            "passes" if up else "failed: %s" % result["error"]), CHECK=name, URL=check["url"])
    return kept


# --- the run -----------------------------------------------------------------------------------------

def run_once(settings, now=time.monotonic):
    """Run every enabled check once; returns the Run (its states, metrics already written)."""
    run = Run(settings, now())
    state_path = os.path.join(settings.state_dir, "state.json")
    previous = _read_json(state_path)
    cache = Cache(os.path.join(settings.state_dir, "config-cache.json"))
    summary = None
    steps = [("config", lambda: check_config(run, cache))]
    steps += [("listens", lambda: check_listens(run, _need(summary))),
              ("drift", lambda: previous.__setitem__("drift_baseline", check_drift(run, summary, previous))),
              ("env", lambda: check_env(run)),
              ("http", lambda: previous.__setitem__("http", check_http(run, previous.get("http", {})))),
              ("backends", lambda: check_backends(run, _need(summary)))]
    for name, step in steps:
        if name not in settings.enabled:
            continue
        started = time.monotonic()
        try:
            value = step()
            ok, detail = True, "%s check runs" % name
        except CheckFailed as exc:
            value, ok, detail = None, False, "%s check could not run: %s" % (name, exc)
        except Exception as exc:
            value, ok, detail = None, False, "%s check could not run: %s: %s" % (name, type(exc).__name__, exc)
        if name == "config":
            summary = value
        run.state("check:%s" % name, OK if ok else "failed", detail)
        run.metrics.add("monitor_check_ok", "1 when the check ran, 0 when it could not (the journal says why).",
                        {"check": name}, int(ok))
        run.metrics.add("monitor_check_duration_seconds", "Seconds the check took in the last run.",
                        {"check": name}, round(time.monotonic() - started, 6))
    changes = report_changes(run, previous.get("states", {}))
    run.metrics.add("monitor_run_duration_seconds", "Seconds the last run took.", {},
                    round(now() - run.started, 6))
    run.metrics.add("monitor_budget_seconds", "Seconds one run may take (below the interval).", {}, settings.budget)
    run.metrics.add("monitor_last_run_timestamp_seconds", "When the monitor last ran (Unix time).", {}, time.time())
    run.metrics.write(settings.textfile)
    states = {key: {"state": state, "detail": detail} for key, (state, detail, _d) in run.states.items()}
    _write_json(state_path, {"states": states, "http": previous.get("http", {}),
                             "drift_baseline": previous.get("drift_baseline", {})})
    run.changes = changes
    return run


def _need(summary):
    if summary is None:
        raise CheckFailed("the live configuration could not be read (see the config check)")
    return summary


def report_changes(run, previous):
    """Log each change of state once and hand it to the alert command; returns the changes."""
    changes = []
    for key, (state, detail, details) in run.states.items():
        before = previous.get(key, {}).get("state")
        if before == state or (before is None and state in (OK, "up")):
            continue
        changes.append((key, state, before or "unknown", detail, details))
    for key, entry in previous.items():
        if key not in run.states and entry.get("state") not in (OK, "up") and not _skipped(run, key):
            changes.append((key, "gone", entry.get("state"), "no longer reported: %s" % entry.get("detail", key), {}))
    for key, state, before, detail, _details in changes:
        priority = 3 if state in ("error", "down", "failed") else 6 if state in (OK, "up", "gone") else 4
        log("%s %s -> %s: %s" % (key.split(":", 1)[0], before, state, detail), priority)
    for key, state, before, detail, details in changes:
        if run.settings.alert_command:
            alert(run, key, state, before, detail, details)
    return changes


def _skipped(run, key):
    """States of a check that did not run this time are not resolved by its silence."""
    kind = key.split(":", 1)[0]
    owner = {"finding": "config", "config": "config", "backend": "backends", "upstream": "backends",
             "backends": "backends", "listen": "listens", "listens": "listens", "drift": "drift", "env": "env",
             "env-file": "env", "http": "http"}.get(kind)
    return owner is not None and run.states.get("check:%s" % owner, (OK,))[0] != OK


def alert(run, key, state, previous, detail, details):
    kind, _colon, subject = key.partition(":")
    env = dict(os.environ, PREFLIGHT_CHECK=details.get("CHECK", kind), PREFLIGHT_KIND=kind,
               PREFLIGHT_SUBJECT=subject, PREFLIGHT_STATE=state, PREFLIGHT_PREVIOUS=previous,
               PREFLIGHT_ERROR=detail, PREFLIGHT_URL=details.get("URL", ""))
    for name in ("FILE", "LINE", "RULE"):
        env["PREFLIGHT_" + name] = details.get(name, "")
    command = run.settings.alert_command
    # The alerts share the run's budget; a stuck alert command cannot hold the next run.
    timeout = max(min(30.0, run.remaining() + run.settings.interval * 0.1), 1.0)
    try:
        proc = subprocess.run(command, env=env, timeout=timeout, check=False, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log("alert command %s failed: %s" % (command[0], exc), 3)
        return
    if proc.returncode != 0:
        log("alert command %s exited %d: %s" % (command[0], proc.returncode, proc.stdout.strip()[-300:]), 3)


def _read_json(path):
    try:
        with open(path) as handle:
            data = json.load(handle)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_json(path, data):
    # No indent: json's C encoder only runs without one (a 5,000-server state is 30,000 entries).
    transaction.write_atomic(path, (json.dumps(data, sort_keys=True) + "\n").encode(), 0o600)


def main(argv=None):
    """The program the timer runs: ``preflight-nginx-monitor --config FILE``; exit 0 when all is well."""
    import argparse

    parser = argparse.ArgumentParser(prog="preflight-nginx-monitor", description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="the monitor's JSON configuration")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
        os.makedirs(settings.state_dir, 0o700, exist_ok=True)
    except (OSError, ValueError) as exc:
        log("bad configuration %s: %s" % (args.config, getattr(exc, "strerror", None) or exc), 2)
        return 2
    run = run_once(settings)
    # Exit 1 (the unit shows failed) for what breaks requests now; warnings, drift and partial outages
    # are in the metrics and the journal.
    return 1 if any(state in CRITICAL for state, _d, _x in run.states.values()) else 0
