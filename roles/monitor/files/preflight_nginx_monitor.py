# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the health checks once, write Prometheus textfile metrics, alert on state changes.

Installed by the preflight.nginx.monitor role next to a copy of the collection's
http_probe (lib/), and run by a systemd timer. The checks are the same curl
checks as the gate's: same arguments, same judgement of the URL, same words.
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))

from ansible_collections.preflight.nginx.plugins.module_utils.host import http_probe, transaction

SPEC_OPTIONS = ("url", "method", "status", "body_regex", "headers", "timeout", "retries", "delay", "deadline",
                "resolve", "connect_to", "validate_certs", "ca_path", "unix_socket")
METRICS = (
    ("preflight_nginx_check_up", "Whether the last health check passed (1) or failed (0)."),
    ("preflight_nginx_check_duration_seconds", "Seconds the last health check took, retries included."),
    ("preflight_nginx_check_status_code", "HTTP status of the last attempt (0: no answer)."),
    ("preflight_nginx_check_attempts", "Requests made by the last health check."),
    ("preflight_nginx_check_last_success_timestamp_seconds", "When the check last passed (Unix time, 0: never)."),
)


def log(message, priority=6):
    # Under systemd, journald reads "<N>" at the start of a line as the priority.
    prefix = "<%d>" % priority if os.environ.get("JOURNAL_STREAM") else ""
    sys.stderr.write("%spreflight-nginx-monitor: %s\n" % (prefix, message))
    sys.stderr.flush()


def write_atomic(path, text, mode=0o644):
    transaction.write_atomic(path, text.encode("utf-8"), mode)


def label(value):
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def execute(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, env=dict(os.environ, LC_ALL="C"))
    return proc.returncode, proc.stdout, proc.stderr


def alert(command, check, url, state, previous, error):
    if not command:
        return
    env = dict(os.environ, PREFLIGHT_CHECK=check, PREFLIGHT_URL=url, PREFLIGHT_STATE=state,
               PREFLIGHT_PREVIOUS=previous, PREFLIGHT_ERROR=error or "")
    try:
        proc = subprocess.run(command, env=env, timeout=30, check=False, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log("alert command %s failed: %s" % (command[0], exc), 3)
        return
    if proc.returncode != 0:
        log("alert command %s exited %d: %s" % (command[0], proc.returncode, proc.stdout.strip()[-300:]), 3)


def load_config(path):
    with open(path) as handle:
        config = json.load(handle)
    problems = []
    for check in config.get("checks", []):
        if not check.get("name") or not check.get("url"):
            problems.append("every check needs a name and a url: %r" % (check,))
            continue
        problems.extend("check %s: %s" % (check["name"], p["message"]) for p in http_probe.url_problems(check["url"]))
    if problems:
        raise ValueError("; ".join(problems))
    return config


def run(config, now=None):
    """Run every check once; returns (results, all_up)."""
    state_path = config["state_file"]
    try:
        with open(state_path) as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        state = {}
    results = []
    for check in config["checks"]:
        options = {key: check[key] for key in SPEC_OPTIONS if key in check}
        spec = http_probe.CheckSpec(curl=config.get("curl", "curl"), **options)
        result = http_probe.run(spec, execute)
        now = time.time()
        name = check["name"]
        previous = state.get(name, {})
        up = bool(result["ok"])
        last_success = now if up else previous.get("last_success", 0)
        if not up:
            log("check %s (%s) failed: %s" % (name, spec.url, result["error"]), 3)
        was = previous.get("up")
        if (was is None and not up) or (was is not None and was != up):
            alert(config.get("alert_command"), name, spec.url, "up" if up else "down",
                  "unknown" if was is None else ("up" if was else "down"), result["error"])
        state[name] = {"up": up, "last_success": last_success, "error": result["error"]}
        results.append((check, result, up, last_success))
    write_metrics(config["textfile"], results)
    write_atomic(state_path, json.dumps(state, indent=1) + "\n", 0o600)
    return results, all(up for _check, _result, up, _last in results)


def write_metrics(path, results):
    lines = []
    for metric, help_text in METRICS:
        lines.append("# HELP %s %s" % (metric, help_text))
        lines.append("# TYPE %s gauge" % metric)
        for check, result, up, last_success in results:
            value = {"preflight_nginx_check_up": 1 if up else 0,
                     "preflight_nginx_check_duration_seconds": result.get("elapsed", 0),
                     "preflight_nginx_check_status_code": result.get("status", 0),
                     "preflight_nginx_check_attempts": result.get("attempts", 0),
                     "preflight_nginx_check_last_success_timestamp_seconds": last_success}[metric]
            lines.append('%s{check="%s",url="%s"} %s' % (metric, label(check["name"]), label(check["url"]), value))
    lines.append("# HELP preflight_nginx_monitor_last_run_timestamp_seconds When the monitor last ran (Unix time).")
    lines.append("# TYPE preflight_nginx_monitor_last_run_timestamp_seconds gauge")
    lines.append("preflight_nginx_monitor_last_run_timestamp_seconds %s" % time.time())
    write_atomic(path, "\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="preflight-nginx-monitor", description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="the monitor's JSON configuration")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except (OSError, ValueError) as exc:
        log("bad configuration %s: %s" % (args.config, exc), 2)
        return 2
    results, all_up = run(config)
    log("%d of %d checks up" % (sum(1 for r in results if r[2]), len(results)), 6 if all_up else 4)
    return 0 if all_up else 1


if __name__ == "__main__":
    sys.exit(main())
