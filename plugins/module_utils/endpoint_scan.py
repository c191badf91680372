# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Review every curl command (and endpoint variable) in files and folders: the scan API.

    result = scan(["/srv/app", "/etc/crontab"], root=None, env={"BACKEND": "..."})
    result.findings   # [findings.Finding]: rule (the problem code, e.g. unspecified-connect-address),
                      #   severity, message, file, line, hint; .as_dict() for JSON
    result.errors     # [{"file", "message"}]: unreadable, binary, huge or malformed input; the scan goes on
    result.skipped    # [{"file", "reason"}]: files no reader knows (named explicitly), or left out
    result.notes      # [{"file", "line", "message"}]: values not judged, and why (variables nobody knows here)
    result.files      # [file] read; result.kinds: {file: kind}

``root``: read every path under this directory as if it were ``/`` (a host's
tree copied or mounted elsewhere); paths and findings are then host paths
(``/etc/crontab``), and absolute paths inside files (EnvironmentFile=) are read
under ``root`` too. ``env``: variables known from outside the files.

Each kind of file has its reader in endpoint_readers/ (recognised by name and by
content); each yields Uses, and this module judges them all the same way:
command targets as connect targets (commands.connect_problems), variables by
their names (env_endpoints.judge: bind names such as HOST or LISTEN may be 0.0.0.0).
"""

from __future__ import annotations

import os
import re

from ansible_collections.preflight.nginx.plugins.module_utils import commands, env_endpoints
from ansible_collections.preflight.nginx.plugins.module_utils.endpoint_readers import (
    base,
    ci,
    compose,
    crontab,
    dockerfile,
    envfile,
    helm,
    kubernetes,
    makefile,
    shell,
    systemd,
)
from ansible_collections.preflight.nginx.plugins.module_utils.findings import ERROR, Finding, at_least

# The first reader that claims a file reads it: the most specific kinds first.
READERS = (dockerfile, compose, ci, helm, kubernetes, makefile, systemd, crontab, envfile, shell)
MAX_BYTES = 2 * 1024 * 1024  # larger files are reported, not read: nobody writes a 2 MB crontab
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache",
              ".pytest_cache", "vendor", "site-packages"}
_SUPPRESSION = re.compile(r"preflight\s*:\s*ignore\[([^\]]*)\]\s*(\S.*)?$")
# Files that may quote a unit, a crontab or a curl line as an example, but run none of it.
_DOCUMENTS = {".md", ".markdown", ".rst", ".adoc", ".html", ".htm", ".xml", ".json", ".py", ".go", ".rb", ".js",
              ".ts", ".java", ".c", ".h", ".cpp", ".rs", ".php", ".pl", ".lua", ".tf", ".svg", ".csv", ".po"}
_SEVERITY = {"unspecified-connect-address": ERROR, "invalid-port": ERROR, "malformed-address": ERROR}


class ScanResult:
    """What a scan found; findings sorted by file and line."""

    def __init__(self):
        self.findings = []
        self.suppressed = []
        self.errors = []
        self.skipped = []
        self.notes = []
        self.files = []
        self.kinds = {}
        self.uses = 0  # values read (commands' targets and endpoint variables)
        self.unjudged = 0  # of which held a variable nobody knows here
        self.config = _Lines(self)  # the text report's code frames read lines from here
        self.nginx_test = None  # what report.render expects of a Report
        self._real = {}

    def failing(self, fail_on=ERROR):
        return [f for f in self.findings if at_least(f.severity, fail_on)]

    def counts(self):
        counts = {"error": 0, "warning": 0, "info": 0}
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    def as_dict(self):
        return {"findings": [f.as_dict() for f in self.findings], "counts": self.counts(),
                "suppressed": [f.as_dict() for f in self.suppressed], "errors": self.errors,
                "skipped": self.skipped, "notes": self.notes,
                "files": [{"file": f, "kind": self.kinds[f]} for f in self.files]}


class _Lines:
    """Source lines of scanned files, read again only for the findings' code frames."""

    def __init__(self, result):
        self._result = result
        self._cache = {}

    def local_file(self, file):
        """The file read for ``file`` (under --root, the copy's)."""
        return self._result._real.get(file, file)

    def source_lines(self, file):
        if file not in self._cache:
            try:
                with open(self._result._real.get(file, file), encoding="utf-8", errors="replace") as handle:
                    self._cache[file] = handle.read().splitlines()
            except OSError:
                self._cache[file] = None
        return self._cache[file]


def host_paths(root="/"):
    """Where a host keeps commands that run by themselves, as host paths that exist under ``root``.

    /etc/crontab, /etc/cron.d/*, user crontabs (/var/spool/cron/crontabs/*, /var/spool/cron/*),
    the periodic cron scripts, systemd units and drop-ins in /etc/systemd/system (their
    EnvironmentFile= files are read with them), /etc/default/*, /etc/environment, /etc/profile.d/*.
    """
    places = ["/etc/crontab", "/etc/environment"]
    folders = ["/etc/cron.d", "/var/spool/cron/crontabs", "/var/spool/cron", "/etc/cron.hourly", "/etc/cron.daily",
               "/etc/cron.weekly", "/etc/cron.monthly", "/etc/systemd/system", "/etc/default", "/etc/profile.d"]
    found = []
    for place in places:
        if os.path.isfile(_under(root, place)):
            found.append(place)
    for folder in folders:
        real = _under(root, folder)
        if not os.path.isdir(real):
            continue
        for current, dirs, files in os.walk(real):
            dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(current, d)))
            if folder == "/var/spool/cron" and current == real:
                dirs[:] = [d for d in dirs if d != "crontabs"]  # listed on its own
            for name in sorted(files):
                path = os.path.join(current, name)
                if os.path.islink(path) and not os.path.exists(path):
                    continue  # a unit masked or linked to nothing
                if os.path.islink(path) and folder == "/etc/systemd/system":
                    continue  # enablement links: the unit itself lives elsewhere (/lib/systemd)
                found.append(folder + path[len(real):])
    return found


def _under(root, path):
    if not root or root == "/":
        return path
    return os.path.join(root, path.lstrip("/"))


def scan(paths, root=None, env=None, explain=False):
    """Scan files and folders (see the module doc); never raises on bad input."""
    result = ScanResult()
    env = dict(env or {})
    cache = {}
    seen = set()  # a file named twice (a folder and a file in it) is read once
    for path in paths:
        real = _under(root, path) if root else path
        if os.path.isdir(real):
            for file_real, file_shown in _walk(real, path):
                _scan_file(result, file_real, file_shown, root, env, cache, explicit=False, explain=explain,
                           seen=seen)
        elif os.path.exists(real) or os.path.islink(real):
            _scan_file(result, real, path, root, env, cache, explicit=True, explain=explain, seen=seen)
        else:
            result.errors.append({"file": path, "message": "no such file or directory"})
    result.findings.sort(key=Finding.sort_key)
    return result


def scan_text(name, text, env=None, kinds=None, explain=False):
    """Scan one file's text (a rendered template, a lint rule's file); ``kinds`` limits the readers.

    Returns a ScanResult (a file no reader claims has no findings, and is listed in ``skipped``).
    """
    result = ScanResult()
    readers = [r for r in READERS if kinds is None or r.KIND in kinds]
    reader = next((r for r in readers if r.claims(name, text)), None)
    if reader is None:
        result.skipped.append({"file": name, "reason": "not a kind of file the readers know"})
        return result
    _read_with(result, reader, name, name, text, None, dict(env or {}), {}, explain)
    return result


def _walk(real, shown):
    for current, dirs, files in os.walk(real):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            path = os.path.join(current, name)
            yield path, os.path.join(shown, os.path.relpath(path, real)) if shown != real else path


def _read(result, real, shown, explicit):
    """The text of a file, or None (the reason recorded)."""
    try:
        if os.path.islink(real) and not os.path.exists(real):
            if explicit:
                result.errors.append({"file": shown, "message": "broken symbolic link"})
            return None
        size = os.path.getsize(real)
        if not os.path.isfile(real):
            result.skipped.append({"file": shown, "reason": "not a regular file"})
            return None
        if size > MAX_BYTES:
            why = "too large to review (%d bytes, limit %d)" % (size, MAX_BYTES)
            if explicit or _named_like_a_kind(shown):
                result.errors.append({"file": shown, "message": why})
            else:  # a data file met in a folder walk: not one of ours
                result.skipped.append({"file": shown, "reason": why})
            return None
        with open(real, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        result.errors.append({"file": shown, "message": "cannot read: %s" % (exc.strerror or exc)})
        return None
    if b"\0" in data[:8192]:
        if explicit or _named_like_a_kind(shown):
            result.errors.append({"file": shown, "message": "binary file (it holds NUL bytes), not read"})
        else:
            result.skipped.append({"file": shown, "reason": "binary"})
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # old files in a legacy encoding still read as text


def _named_like_a_kind(path):
    name = os.path.basename(path)
    return name.endswith((".sh", ".service", ".socket", ".env", ".yml", ".yaml", ".mk")) or name in (
        "Dockerfile", "Makefile", "crontab", ".env")


def _reader_for(path, text):
    if os.path.splitext(path)[1].lower() in _DOCUMENTS:
        return None  # prose and source code that quote a unit or a crontab are not one
    for reader in READERS:
        if reader.claims(path, text):
            return reader
    return None


def _scan_file(result, real, shown, root, env, cache, explicit, explain, seen=None):
    key = os.path.realpath(real)
    if seen is not None:
        if key in seen:
            return
        seen.add(key)
    text = _read(result, real, shown, explicit)
    if text is None:
        return
    reader = _reader_for(shown, text)
    if reader is None:
        if explicit:
            result.skipped.append({"file": shown, "reason": "not a kind of file the readers know"})
        return
    _read_with(result, reader, real, shown, text, root, env, cache, explain)


def _read_with(result, reader, real, shown, text, root, env, cache, explain):
    def env_file(path, source):
        return _env_file(result, path, source, root, cache)

    def other_file(path, source):
        return _other_file(result, path, source, root)

    source = base.Source(shown, text, env, root, env_file, other_file)
    try:
        uses = reader.read(source)
    except base.ReadError as exc:
        where = "%s:%d" % (shown, exc.line) if exc.line else shown
        result.errors.append({"file": shown, "message": "%s: %s" % (where, exc), "line": exc.line})
        return
    except RecursionError:
        result.errors.append({"file": shown, "message": "%s: nested too deeply to read" % shown})
        return
    except Exception as exc:  # a reader's bug must not stop the review of every other file
        result.errors.append({"file": shown, "message": "%s: the %s reader failed: %s: %s" % (
            shown, reader.KIND, type(exc).__name__, exc)})
        return
    result.files.append(shown)
    result.kinds[shown] = reader.KIND
    result._real[shown] = real
    if explain:
        result.notes.extend(source.notes)
    lines = None
    for use in uses:
        result.uses += 1
        for finding in judge_use(use, result, explain):
            lines = lines if lines is not None else text.splitlines()
            # A value inherited from another file (Compose extends) is suppressed where it is written.
            if _suppressed(finding, lines if finding.file == shown else result.config.source_lines(finding.file) or []):
                result.suppressed.append(finding)
            else:
                result.findings.append(finding)


def _env_file(result, path, source, root, cache):
    """Variables of an env file named by another file; errors recorded against the naming file."""
    if not os.path.isabs(path):
        path = os.path.join(os.path.dirname(source.path), path)
    real = _under(root, path) if root else path
    if real in cache:
        return cache[real]
    cache[real] = None
    try:
        with open(real, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES or b"\0" in data[:8192]:
            raise base.ReadError("not an env file (binary or too large)")
        cache[real] = envfile.variables_of(data.decode("utf-8", "replace"), path)
    except OSError:
        return None  # a missing optional file; a missing required one is systemd's to report
    except base.ReadError as exc:
        result.errors.append({"file": path, "message": "%s%s: %s" % (
            path, ":%d" % exc.line if exc.line else "", exc)})
    return cache[real]


def _other_file(result, path, source, root):
    """(path as reported, text) of a file another one leads to, relative to it: a Compose extends
    file, a chart's templates and values.yaml read for a values file."""
    if not os.path.isabs(path):
        path = os.path.normpath(os.path.join(os.path.dirname(source.path), path))
    real = _under(root, path) if root else path
    with open(real, "rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES or b"\0" in data[:8192]:
        raise base.ReadError("binary or too large to review")
    result._real.setdefault(path, real)  # for the code frames of findings in it
    return path, data.decode("utf-8", "replace")


def judge_use(use, result=None, explain=False):
    """Findings for one Use (a list; empty when it is fine or cannot be known here)."""
    if use.unknown:
        if result is not None:
            result.unjudged += 1
        if result is not None and explain:
            result.notes.append({"file": use.file, "line": use.line, "message": "%s %s: not judged: %s %s set "
                                 "outside what was scanned" % (use.feeds, addresses_redact(use.value),
                                                               ", ".join("$" + n for n in use.unknown),
                                                               "is" if len(use.unknown) == 1 else "are")})
        return []
    if use.key is not None:
        problems = env_endpoints.judge(use.key, use.value)
        subject = None
    else:
        problems = commands.connect_problems(use.value, use.host_only)
        subject = use.feeds
    if not problems and result is not None and explain:
        # The one judge passed it over; say why, where it is plainly no network address.
        reason = env_endpoints.not_an_address(use.key or "", use.value)
        if reason:
            result.notes.append({"file": use.file, "line": use.line, "message": "%s %s: %s, not judged" % (
                use.feeds, addresses_redact(use.value), reason)})
    found = []
    for problem in problems:
        message = problem["message"]
        if subject:
            message = re.sub(r"^endpoint: ", "", message)
            tool, _in, where = subject.partition(" in ")
            message = "%s%s %s: %s" % (where + ": " if where else "", tool, addresses_redact(use.value), message)
        if use.via:
            message = "%s (%s)" % (message, use.via)
        severity = problem.get("severity") or _SEVERITY.get(problem["code"], "warning")
        found.append(Finding(problem["code"], severity, message, use.file, use.line, hint=problem.get("hint") or ""))
    return found


def addresses_redact(value):
    return commands.addresses.redact(str(value))


def _suppressed(finding, lines):
    """``# preflight: ignore[rule] reason`` on the finding's line or the line above covers it."""
    for number in (finding.line, finding.line - 1):
        if 1 <= number <= len(lines) and "preflight" in lines[number - 1]:
            match = _SUPPRESSION.search(lines[number - 1])
            if match and match.group(2) and finding.rule in [i.strip() for i in match.group(1).split(",")]:
                return True
    return False
