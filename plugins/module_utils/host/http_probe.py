# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health checks with the real curl binary: build its arguments, judge its answer.

Shared by the http_check module and the monitor, so both ask the same
question and describe a failure in the same plain words. Nothing here runs
a shell: curl gets an argument list, and header values go through a file so
they never appear in a process list or a log.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import tempfile
import time

from ansible_collections.preflight.nginx.plugins.module_utils import addresses

BODY_EXCERPT_BYTES = 1024
_TIMINGS = ("time_namelookup", "time_connect", "time_appconnect", "time_pretransfer",
            "time_starttransfer", "time_total")


class CheckSpec:
    """What to request and what counts as healthy."""

    def __init__(self, url, method="GET", status=(200,), body_regex=None, headers=None, timeout=5.0,
                 retries=0, delay=1.0, deadline=None, resolve=(), connect_to=(), validate_certs=True,
                 ca_path=None, unix_socket=None, curl="curl", workdir=None):
        self.url = url
        self.workdir = workdir
        self.method = method.upper()
        self.status = [int(s) for s in status]
        self.body_regex = body_regex
        self.headers = dict(headers or {})
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.delay = float(delay)
        self.deadline = float(deadline) if deadline else None
        self.resolve = list(resolve or ())
        self.connect_to = list(connect_to or ())
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.unix_socket = unix_socket
        self.curl = curl

    @classmethod
    def from_check(cls, check, curl="curl", workdir=None, **overrides):
        """The spec of one health check (a dict of SPEC_OPTIONS: the gate's, the monitor's, the
        preview's); unset (None) options take their defaults, ``overrides`` win."""
        options = {key: value for key, value in check.items() if key in SPEC_OPTIONS and value is not None}
        options.update(overrides)
        return cls(curl=curl, workdir=workdir, **options)


# What a health check may say: http_check's options, the items of gate_health_checks and the monitor's checks.
SPEC_OPTIONS = tuple(name for name in inspect.signature(CheckSpec).parameters if name not in ("curl", "workdir"))


def check_problems(check, also=()):
    """What is wrong with one health check: not a dict, unknown options (besides ``also``), no url, a bad url."""
    if not isinstance(check, dict):
        return ["must be a dict of health check options (%s), not %r" % (", ".join(SPEC_OPTIONS), check)]
    problems = []
    unknown = sorted(set(check) - set(SPEC_OPTIONS) - set(also))
    if unknown:
        problems.append("unknown option%s %s (known: %s)" % (
            "s" if len(unknown) > 1 else "", ", ".join(unknown), ", ".join(SPEC_OPTIONS + tuple(also))))
    if not check.get("url"):
        problems.append("needs a url")
    else:
        problems.extend("%s (%s)" % (p["message"], p["hint"]) for p in url_problems(check["url"]))
    return problems


def secrets_of(check):
    """What a health check holds that must never be shown: the URL's password, header values."""
    secrets = []
    url = str(check.get("url") or "")
    match = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#@]*)@", url)
    if match and ":" in match.group(1):
        secrets.append(match.group(1).split(":", 1)[1])
    headers = check.get("headers") or {}
    if isinstance(headers, dict):
        secrets.extend(str(value) for value in headers.values())
    # Very short values ("1") would mask unrelated text everywhere; they are not secrets anyway.
    return [secret for secret in secrets if len(secret) >= 4]


def url_problems(url):
    """Problems of a health-check URL: the engine's judgement plus the scheme."""
    endpoint = addresses.parse_endpoint(url)
    problems = [p.as_dict() for p in endpoint.problems]
    if endpoint.scheme not in ("http", "https") and not problems:
        problems.append({"code": "malformed-address",
                         "message": "health check URL %s must start with http:// or https://" % url,
                         "hint": "write http://%s" % url})
    return problems


def target_of(spec):
    """host:port that curl will connect to, for messages."""
    if spec.unix_socket:
        return "unix:" + spec.unix_socket
    endpoint = addresses.parse_endpoint(spec.url)
    port = endpoint.port
    host = endpoint.address or endpoint.host or "?"
    for entry in spec.connect_to:
        parts = entry.split(":")
        if len(parts) == 4 and parts[0] in ("", endpoint.host) and parts[1] in ("", str(port)):
            return "%s:%s" % (parts[2] or host, parts[3] or port)
    for entry in spec.resolve:
        parts = entry.split(":", 2)
        if len(parts) == 3 and parts[0] == endpoint.host and parts[1] == str(port):
            return "%s:%s" % (parts[2].strip("[]"), port)
    if endpoint.kind == "ipv6":
        host = "[%s]" % host
    return "%s:%s" % (host, port)


def build_argv(spec, body_path, header_path=None, timeout=None):
    """curl's argument list for one attempt (``timeout``: this attempt's, at most the spec's)."""
    timeout = spec.timeout if timeout is None else timeout
    argv = [spec.curl, "--silent", "--show-error", "--request", spec.method,
            "--max-time", "%g" % timeout, "--connect-timeout", "%g" % timeout,
            "--output", body_path, "--write-out", "%{json}", "--noproxy", "*"]
    if spec.method == "HEAD":
        argv[argv.index("--request"):argv.index("--request") + 2] = ["--head"]
    if header_path:
        argv += ["--header", "@" + header_path]
    for entry in spec.resolve:
        argv += ["--resolve", entry]
    for entry in spec.connect_to:
        argv += ["--connect-to", entry]
    if not spec.validate_certs:
        argv.append("--insecure")
    if spec.ca_path:
        argv += ["--capath" if os.path.isdir(spec.ca_path) else "--cacert", spec.ca_path]
    if spec.unix_socket:
        argv += ["--unix-socket", spec.unix_socket]
    argv += ["--url", spec.url]
    return argv


def describe(exit_code, errormsg, target, spec, timeout=None):
    """curl's failure in plain words, naming where it tried to connect."""
    host = addresses.parse_endpoint(spec.url).host or target
    messages = {
        6: "could not resolve host %s" % host,
        7: ("connection refused to %s" % target) if "refused" in errormsg.lower()
        or "couldn't connect" in errormsg.lower() else "could not connect to %s" % target,
        28: "timed out after %gs waiting for %s" % (spec.timeout if timeout is None else timeout, target),
        35: "TLS handshake with %s failed" % target,
        47: "too many redirects",
        51: "the certificate of %s does not match its name" % host,
        52: "%s closed the connection without a reply" % target,
        56: "connection to %s was reset" % target,
        60: "the certificate of %s is not trusted (set ca_path, or validate_certs: false)" % host,
        77: "cannot read the CA file %s" % spec.ca_path,
    }
    text = messages.get(exit_code, "curl failed (exit %s)" % exit_code)
    if errormsg and exit_code not in (7,):
        text += ": " + errormsg
    return text


def attempt(spec, execute, timeout=None):
    """One request (in at most ``timeout`` seconds); returns a dict with ok, status, error, timings, body."""
    # A deploy gives a private folder it sweeps on its next run, so a killed run leaves no headers file.
    workdir = tempfile.mkdtemp(prefix="preflight-http-", dir=spec.workdir)
    body_path = os.path.join(workdir, "body")
    header_path = None
    try:
        if spec.headers:
            header_path = os.path.join(workdir, "headers")
            fd = os.open(header_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                for name, value in spec.headers.items():
                    handle.write("%s: %s\n" % (name, str(value).replace("\n", " ")))
        rc, out, err = execute(build_argv(spec, body_path, header_path, timeout))
        body = b""
        if os.path.exists(body_path):
            with open(body_path, "rb") as handle:
                body = handle.read(1024 * 1024)
    finally:
        for name in ("body", "headers"):
            path = os.path.join(workdir, name)
            if os.path.exists(path):
                os.unlink(path)
        os.rmdir(workdir)
    return judge(spec, rc, out, err, body, timeout)


def judge(spec, rc, out, err, body, timeout=None):
    info = {}
    try:
        info = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    except ValueError:
        info = {}
    status = int(info.get("http_code") or info.get("response_code") or 0)
    text = body.decode("utf-8", "replace")
    result = {
        "status": status,
        "remote_ip": info.get("remote_ip") or None,
        "remote_port": info.get("remote_port") or None,
        "timings": {name[5:]: float(info.get(name) or 0) for name in _TIMINGS},
        "body_excerpt": text[:BODY_EXCERPT_BYTES],
        "curl_exit": rc,
        "ok": False,
        "error": None,
    }
    target = target_of(spec)
    if rc != 0:
        errormsg = info.get("errormsg") or re.sub(r"^curl: \(\d+\) ", "", (err or "").strip())
        result["error"] = describe(rc, errormsg or "", target, spec, timeout)
    elif status not in spec.status:
        result["error"] = "%s %s answered %s, expected %s" % (
            spec.method, addresses.redact(spec.url), status, " or ".join(str(s) for s in spec.status))
    elif spec.body_regex and not re.search(spec.body_regex, text):
        result["error"] = "the body of %s does not match %r" % (addresses.redact(spec.url), spec.body_regex)
    else:
        result["ok"] = True
    return result


def run(spec, execute, sleep=time.sleep, clock=time.monotonic):
    """Attempt until healthy, out of retries, or past the deadline.

    The deadline bounds the whole check: each attempt's curl gets at most the time left
    (--max-time and --connect-timeout shrink to it), and no wait runs past it.
    """
    started = clock()
    attempts = 0
    # curl rounds tiny timeouts oddly; below this an attempt is not worth starting.
    floor = 0.05
    while True:
        attempts += 1
        timeout = spec.timeout
        if spec.deadline is not None:
            timeout = max(floor, min(spec.timeout, spec.deadline - (clock() - started)))
        result = attempt(spec, execute, round(timeout, 3))
        elapsed = clock() - started
        left = None if spec.deadline is None else spec.deadline - elapsed
        out_of_time = left is not None and left - min(spec.delay, max(left, 0)) < floor
        out_of_tries = spec.deadline is None and attempts > spec.retries
        if result["ok"] or out_of_time or out_of_tries:
            if not result["ok"] and out_of_time:
                result["error"] = "%s (the deadline of %gs is over)" % (result["error"], spec.deadline)
            break
        sleep(spec.delay if left is None else max(0.0, min(spec.delay, left - floor)))
    result.update(attempts=attempts, elapsed=round(clock() - started, 3), url=spec.url, method=spec.method)
    return result
