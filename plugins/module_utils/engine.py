# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one engine: load a configuration, run the rules, return a report.

Every front-end (modules, filters, CLI, lint rules, the gate role, the
monitor) describes its input as a Source (source.py), its choices as Options,
calls ``check`` and adapts the Report; none checks anything itself.
"""

from __future__ import annotations

import copy
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
    TREE,
    WARNING,
    Finding,
    at_least,
)
from ansible_collections.preflight.nginx.plugins.module_utils.model import Model
from ansible_collections.preflight.nginx.plugins.module_utils.rules import RULES
from ansible_collections.preflight.nginx.plugins.module_utils.source import Source

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
            # What the loader decided by itself (a copy read under its own root), said once.
            "notes": list(getattr(self.config, "notes", None) or ()),
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


class OptionError(ValueError):
    """A bad option; ``option`` names it (``select``, ``ignore``, ``nginx_version``)."""

    def __init__(self, option, message):
        ValueError.__init__(self, message)
        self.option = option


class Options:
    """What to run on a Source: which rules, for which nginx, and whether ``nginx -t`` too.

    ``nginx_version`` ("1.22.1") is the nginx that will run the configuration,
    for advice that depends on it (None: unknown). ``resolve_hosts``: the check
    runs on that nginx's host, so host names may be looked up. Raises
    OptionError naming the option on unknown rule ids or a malformed version.
    """

    def __init__(self, select=None, ignore=None, nginx_version=None, resolve_hosts=False, nginx_test=False,
                 nginx_binary="nginx"):
        self.select = _option("select", resolve_rule_ids, select)
        self.ignore = _option("ignore", resolve_rule_ids, ignore)
        self.nginx_version = _option("nginx_version", parse_version, nginx_version)
        self.resolve_hosts = resolve_hosts  # True, or a look-up function (tests)
        self.nginx_test = bool(nginx_test)
        self.nginx_binary = nginx_binary or "nginx"

    def without_nginx_test(self):
        """The same choices, the rules alone (for an input nginx -t cannot judge)."""
        alone = copy.copy(self)
        alone.nginx_test = False
        return alone

    @property
    def enabled(self):
        """The rule ids that run, in the rules' order."""
        ignored = set(self.ignore)
        return [rule_id for rule_id in self.select or RULES if rule_id not in ignored]


def _option(name, read, value):
    try:
        return read(value)
    except ValueError as exc:
        raise OptionError(name, str(exc)) from exc


def check(source, options=None):
    """Check one Source (see source.py) with Options: the one entry every front-end calls.

    Raises ConfigLoadError when the main input cannot be read, ValueError when
    nginx -t is asked for an input it cannot judge; everything else ends up
    in the Report.
    """
    options = options or Options()
    enabled = options.enabled
    if options.nginx_test:
        refusal = source.nginx_test_refusal()
        if refusal:
            raise ValueError(refusal)
    with _no_cyclic_gc():
        config = source.load()
        result = None
        extra = []
        if options.nginx_test and NGINX_TEST in enabled:
            # nginx -t reads a whole main file; a fragment is checked by the rules alone.
            if config.mapping:
                # A copy read under its own root (nginx_config.load took it as one): nginx -t would read
                # this machine's files at the absolute paths instead.
                result = {"ran": False, "reason": "the tree was read as a copy under %s; nginx -t would read "
                                                  "this machine's own files" % config.mapping.get("/")}
            elif config.context == nginx_config.MAIN:
                result, extra = run_nginx_test(os.path.abspath(source.path), source.prefix, options.nginx_binary)
            else:
                result = {"ran": False, "reason": "a %s fragment is no main file for nginx -t" % config.context}
        return _check(config, enabled, extra, result, options.nginx_version, options.resolve_hosts)


def check_file(path, **options):
    """Check the main file ``path`` where it lies; ``options`` as for Options."""
    return check(Source.file(path), Options(**options))


def check_text(text, filename="nginx.conf", context="auto", **options):
    """Check configuration text (a filter's input, a lint rule's file); its includes are not followed."""
    return check(Source.text(text, filename, context=context), Options(**options))


def _check(config, enabled, extra_findings, nginx_result, nginx_version=None, resolve_hosts=False):
    enabled = set(enabled)
    if config.context != nginx_config.MAIN:
        # A fragment: what the rest of the tree defines is unknown here, so rules that need it are held back.
        enabled = {rule_id for rule_id in enabled if RULES[rule_id].scope != TREE}
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
