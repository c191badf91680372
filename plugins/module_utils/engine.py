# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one engine: load a configuration, run the rules, return a report.

Every front-end (modules, filters, CLI, lint rules, the gate role) calls
``check_file`` or ``check_text`` and adapts the Report; none checks anything
itself.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import subprocess
from contextlib import contextmanager

from ansible_collections.preflight.nginx.plugins.module_utils import nginx_config
from ansible_collections.preflight.nginx.plugins.module_utils.findings import (
    ERROR,
    SEVERITIES,
    WARNING,
    Finding,
    at_least,
)
from ansible_collections.preflight.nginx.plugins.module_utils.model import Model
from ansible_collections.preflight.nginx.plugins.module_utils.rules import RULES

ConfigLoadError = nginx_config.ConfigLoadError

_SUPPRESSION = re.compile(r"^\s*preflight\s*:\s*ignore\b(?:\[([^\]]*)\])?\s*(.*)$")
# "nginx: [emerg] msg in /file:12" or, once the log is open, "2026/01/01 10:00:00 [emerg] 12#12: msg ..."
_NGINX_MESSAGE = re.compile(
    r"^(?:nginx: |\d{4}/\d\d/\d\d \d\d:\d\d:\d\d )\[(emerg|alert|crit|error|warn|notice)\] "
    r"(?:\d+#\d+: )?(.*?)(?: in (/.+?):(\d+))?$")
INVALID_SUPPRESSION = "invalid-suppression"
NGINX_TEST = "nginx-test"


class Report:
    """What a check found: findings (sorted), suppressed ones, files read."""

    def __init__(self, findings, suppressed, config, nginx_test=None, model=None):
        self.model = model
        self.findings = sorted(findings, key=Finding.sort_key)
        self.suppressed = sorted(suppressed, key=Finding.sort_key)
        self.config = config
        self.files = list(config.files) if config else []
        self.nginx_test = nginx_test

    def add(self, findings):
        """Merge findings from outside the rules (backend probes) into the report."""
        self.findings = sorted(self.findings + list(findings), key=Finding.sort_key)

    def counts(self):
        counts = dict.fromkeys(SEVERITIES, 0)
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    def failing(self, fail_on=ERROR):
        return [f for f in self.findings if at_least(f.severity, fail_on)]

    def as_dict(self):
        return {
            "findings": [f.as_dict() for f in self.findings],
            "counts": self.counts(),
            "suppressed": [f.as_dict() for f in self.suppressed],
            "files": self.files,
            "nginx_test": self.nginx_test,
        }


def resolve_rule_ids(ids, what="rule"):
    """Validate user-given rule ids; raises ValueError naming the unknown ones."""
    ids = [i.strip() for i in ids or () if i and i.strip()]
    unknown = [i for i in ids if i not in RULES]
    if unknown:
        raise ValueError("unknown %s id%s: %s (known: %s)" % (
            what, "s" if len(unknown) > 1 else "", ", ".join(unknown), ", ".join(RULES)))
    return ids


@contextmanager
def _no_cyclic_gc():
    """Pause the cyclic garbage collector while a tree is built and checked.

    Loading builds one object per directive, all linked to their parents; the
    collector would walk that growing graph again and again for nothing (it is
    all alive until the check ends). Reference counting still frees the rest.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_file(path, prefix=None, select=None, ignore=None, nginx_test=False,
               nginx_binary="nginx", resolve_includes=True, nginx_version=None, resolve_hosts=False,
               root=None, context="main", display_name=None, mapping=None):
    """Check the configuration whose main file is ``path``.

    ``root`` stands for ``/`` (a repository copy of /etc/nginx): absolute paths
    are read under it and findings name files as nginx sees them. ``context``
    is where the file's top level stands (``main``, ``http``, ``stream``,
    ``server``, ``location``, or ``auto`` to guess it from the content).
    ``nginx_version`` ("1.22.1") is the nginx that will run it, for advice that
    depends on the version (None: unknown). ``resolve_hosts``: the check runs on
    that nginx's host, so host names may be looked up. ``mapping`` ({nginx
    directory: local directory}) reads some directories from elsewhere (a
    staged copy); ``path`` is then the main file as nginx sees it.

    Raises ConfigLoadError when the main file cannot be read, ValueError on
    unknown rule ids, a bad context or a malformed version; everything else
    ends up in the Report.
    """
    enabled = _enabled_rules(select, ignore)
    version = parse_version(nginx_version)
    if nginx_test and (root is not None or mapping):
        raise ValueError("nginx -t cannot check a tree under a root: it would read the live absolute paths")
    with _no_cyclic_gc():
        config = nginx_config.load(path, prefix=prefix, resolve_includes=resolve_includes, root=root,
                                   context=context, display_name=display_name, mapping=mapping)
        result = None
        extra = []
        if nginx_test and NGINX_TEST in enabled:
            # nginx -t reads a whole main file; a fragment is checked by the rules alone.
            if config.context == nginx_config.MAIN:
                result, extra = run_nginx_test(os.path.abspath(path), prefix, nginx_binary)
            else:
                result = {"ran": False, "reason": "a %s fragment is no main file for nginx -t" % config.context}
        return _check(config, enabled, extra, result, version, resolve_hosts)


def check_text(text, filename="nginx.conf", select=None, ignore=None, context="auto", nginx_version=None,
               resolve_hosts=False, resolve_includes=False, prefix=None):
    """Check configuration text (standard input, a rendered template); includes are not followed
    unless asked for (then relative to ``prefix``, by default the file's directory or here).

    ``context`` is where the text stands, as for check_file; ``auto`` guesses.
    """
    return _check_loaded(lambda: nginx_config.load_text(text, filename, resolve_includes=resolve_includes,
                                                        context=context, prefix=prefix),
                         select, ignore, nginx_version, resolve_hosts)


def check_template(path, variables, name_filter=None, select=None, ignore=None, context="auto",
                   nginx_version=None, resolve_hosts=False):
    """Check a Docker-style template as envsubst renders it with ``variables``."""
    return _check_loaded(lambda: nginx_config.load_template(path, variables, name_filter, context=context),
                         select, ignore, nginx_version, resolve_hosts)


def check_dump(text, select=None, ignore=None, nginx_version=None, resolve_hosts=False):
    """Check ``nginx -T`` output: every file it holds, each finding at its own file and line."""
    return _check_loaded(lambda: nginx_config.load_dump(text), select, ignore, nginx_version, resolve_hosts)


def _check_loaded(load, select, ignore, nginx_version, resolve_hosts):
    """Run the rules on what one loader yields: every input kind ends up here the same way."""
    enabled = _enabled_rules(select, ignore)
    version = parse_version(nginx_version)
    with _no_cyclic_gc():
        return _check(load(), enabled, [], None, version, resolve_hosts)


def _enabled_rules(select, ignore):
    selected = resolve_rule_ids(select) or list(RULES)
    ignored = set(resolve_rule_ids(ignore))
    return [rule_id for rule_id in selected if rule_id not in ignored]


def _check(config, enabled, extra_findings, nginx_result, nginx_version=None, resolve_hosts=False):
    enabled = set(enabled)
    findings = list(extra_findings)
    for problem in config.problems:
        rule = RULES[problem.rule]
        findings.append(Finding(rule.id, rule.severity, problem.message, problem.file,
                                problem.line, "", "", problem.hint))
    model = Model(config, None, nginx_version, resolve_hosts)
    for rule_id in enabled:
        rule = RULES[rule_id]
        if rule.check is None:
            continue
        for directive, message, hint in rule.check(model):
            findings.append(Finding(rule.id, rule.severity, message, directive.file, directive.line,
                                    directive.text(), directive.context, hint))
    findings = _once_each([f for f in findings if f.rule in enabled])
    for finding in findings:
        note = config.line_notes.get((finding.file, finding.line))
        if note:
            finding.message = "%s: %s" % (note, finding.message)
    kept, suppressed, invalid = _apply_suppressions(config, findings)
    if INVALID_SUPPRESSION in enabled:
        kept.extend(invalid)
    return Report(kept, suppressed, config, nginx_result, model)


def _once_each(findings):
    """One finding per rule, place and message: a snippet included in ten servers is one fix."""
    seen = set()
    unique = []
    for finding in findings:
        key = (finding.rule, finding.file, finding.line, finding.message)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


def _apply_suppressions(config, findings):
    """Split findings into kept and suppressed; report bad suppressions."""
    rule = RULES[INVALID_SUPPRESSION]
    by_place = {}
    invalid = []
    for file, comments in config.comments.items():
        for line, texts in comments.items():
            for text in texts:
                match = _SUPPRESSION.match(text)
                if not match:
                    continue
                ids = [i.strip() for i in (match.group(1) or "").split(",") if i.strip()]
                reason = match.group(2).strip()
                problem = None
                if not ids:
                    problem = "suppression names no rule: write \"# preflight: ignore[rule-id] reason\""
                elif not reason:
                    problem = "suppression of %s gives no reason" % ", ".join(ids)
                unknown = [i for i in ids if i not in RULES]
                if unknown:
                    problem = "suppression names unknown rule%s %s" % (
                        "s" if len(unknown) > 1 else "", ", ".join(unknown))
                if problem:
                    invalid.append(Finding(rule.id, rule.severity, problem, file, line, "",
                                           "", "write \"# preflight: ignore[rule-id] why it is fine\""))
                # A comment after a directive covers its line; a comment on its own line, the next one too.
                source = config.source_lines(file)
                alone = line <= len(source) and source[line - 1].lstrip().startswith("#")
                for line_covered in (line, line + 1) if alone else (line,):
                    by_place.setdefault((file, line_covered), set()).update(ids)
    kept, suppressed = [], []
    for finding in findings:
        if finding.rule in by_place.get((finding.file, finding.line), ()):
            suppressed.append(finding)
        else:
            kept.append(finding)
    return kept, suppressed, invalid


_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")
_NGINX_V = re.compile(r"nginx/(\d+\.\d+(?:\.\d+)?)")


def parse_version(text):
    """Read "1.25.1" as (1, 25, 1); None stays None; anything else is a ValueError."""
    if text is None or isinstance(text, tuple):
        return text
    match = _VERSION.match(str(text).strip())
    if not match:
        raise ValueError("nginx version %r is not MAJOR.MINOR[.PATCH], e.g. 1.22.1" % (text,))
    return tuple(int(part or 0) for part in match.groups())


def nginx_version(binary="nginx"):
    """The version of the installed nginx ("1.22.1"), or None when there is none to ask."""
    path = find_nginx(binary)
    if path is None:
        return None
    try:
        proc = subprocess.run([path, "-v"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _NGINX_V.search((proc.stdout + proc.stderr).decode("utf-8", "replace"))
    return match.group(1) if match else None


def nginx_dump(main_file="/etc/nginx/nginx.conf", binary="nginx", timeout=60):
    """What ``nginx -T`` prints for ``main_file``: every file it reads (it runs as the caller)."""
    path = find_nginx(binary)
    if path is None:
        raise ConfigLoadError("nginx binary %s not found: nginx -T needs it" % binary)
    try:
        proc = subprocess.run([path, "-T", "-q", "-c", main_file], capture_output=True, timeout=timeout,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigLoadError("nginx -T failed: %s" % exc) from exc
    if not nginx_config.is_dump(proc.stdout):
        raise ConfigLoadError("nginx -T -c %s printed no configuration (exit %s): %s" % (
            main_file, proc.returncode, proc.stderr.decode("utf-8", "replace").strip()[-500:]))
    return proc.stdout


def find_nginx(binary="nginx"):
    """The path of the nginx binary, or None."""
    if os.path.sep in binary:
        return binary if os.access(binary, os.X_OK) else None
    return shutil.which(binary) or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
         if os.access(p, os.X_OK)), None)


def run_nginx_test(main_file, prefix=None, binary="nginx", timeout=60, wrapper=()):
    """Run ``nginx -t`` on the main file; returns (result dict, findings).

    ``wrapper`` is a command that runs nginx (a mount namespace showing staged files in place).
    """
    path = find_nginx(binary)
    rule = RULES[NGINX_TEST]
    if path is None:
        result = {"ran": False, "rc": None, "output": "", "binary": binary,
                  "error": "nginx binary %s not found" % binary}
        return result, []
    command = [path, "-t", "-q", "-c", main_file]
    if prefix:
        command += ["-p", prefix.rstrip("/") + "/"]
    try:
        proc = subprocess.run(list(wrapper) + command, capture_output=True, timeout=timeout, check=False)
        output = (proc.stdout + proc.stderr).decode("utf-8", "replace")
        rc = proc.returncode
    except (OSError, subprocess.TimeoutExpired) as exc:
        output, rc = str(exc), None
    findings = []
    for text in output.splitlines():
        match = _NGINX_MESSAGE.match(text.strip())
        if not match:
            continue
        level, message, file, line = match.groups()
        if level in ("notice",):
            continue
        severity = WARNING if level == "warn" else ERROR
        findings.append(Finding(rule.id, severity, "nginx -t: %s" % message, file or main_file,
                                int(line) if line else None, "", "", "nginx itself refuses this"
                                if severity == ERROR else "nginx warns about this at start-up"))
    if rc not in (0, None) and not any(f.severity == ERROR for f in findings):
        findings.append(Finding(rule.id, ERROR, "nginx -t failed (exit %s): %s" % (rc, output.strip()[-500:]),
                                main_file, None, "", "", "run nginx -t by hand for details"))
    result = {"ran": rc is not None, "rc": rc, "output": output, "binary": path,
              "command": command, "ok": rc == 0}
    return result, findings
