# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render a Report as text (with code frames), JSON, SARIF 2.1.0 or GitHub annotations."""

from __future__ import annotations

import json
import os
from urllib.parse import quote

from ansible_collections.preflight.nginx.plugins.module_utils.rules import RULES

FORMATS = ("text", "json", "sarif", "github")
TOOL_NAME = "nginx-preflight"
TOOL_VERSION = "0.2.0"
# Where each rule's page is (docs/rules/ is generated from the rules themselves).
REPOSITORY_URL = "https://github.com/preflight-nginx/preflight.nginx"
RULE_DOCS_URL = REPOSITORY_URL + "/blob/main/docs/rules/%s.md"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
SRCROOT = "%SRCROOT%"


def render(reports, fmt="text", color=False, relative=True):
    """Render a list of (path, Report) pairs; ``relative``: text names files below here relatively."""
    if fmt == "json":
        return render_json(reports)
    if fmt == "sarif":
        return render_sarif(reports)
    if fmt == "github":
        return render_github(reports)
    return render_text(reports, color, relative)


def _all_findings(reports):
    for _path, report in reports:
        for finding in report.findings:
            yield report, finding


def _all_notes(reports):
    """(report, note) for how the files were read (a copy's root taken as --root): not findings,
    never a failure."""
    for _path, report in reports:
        for note in getattr(report.config, "notes", None) or ():
            yield report, note


def render_text(reports, color=False, relative=True):
    paint = _painter(color)
    name = _rel if relative else (lambda path: path or "<unknown>")
    out = []
    total = {"error": 0, "warning": 0, "info": 0}
    for report, finding in _all_findings(reports):
        total[finding.severity] += 1
        where = "%s:%s" % (name(finding.file), finding.line) if finding.line else name(finding.file)
        label = paint(finding.severity, finding.severity)
        out.append("%s: %s[%s] %s" % (where, label, finding.rule, finding.message))
        if finding.context:
            out.append("  in %s" % finding.context)
        out.extend(_code_frame(report, finding))
        if finding.hint:
            out.append("  = help: %s" % finding.hint)
        out.append("")
    for _report, note in _all_notes(reports):
        where = "%s:%s" % (name(note["file"]), note["line"]) if note["line"] else name(note["file"])
        out.append("%s: %s %s" % (where, paint("note:", "info"), note["message"]))
        out.append("")
    files = sum(len(result.files) for _path, result in reports)
    suppressed = sum(len(result.suppressed) for _path, result in reports)
    summary = "%d error%s, %d warning%s, %d info in %d file%s" % (
        total["error"], "" if total["error"] == 1 else "s", total["warning"],
        "" if total["warning"] == 1 else "s", total["info"], files, "" if files == 1 else "s")
    if suppressed:
        summary += " (%d suppressed)" % suppressed
    out.append(summary if any(total.values()) else "no problems found: " + summary)
    return "\n".join(out) + "\n"


def _code_frame(report, finding):
    lines = report.config.source_lines(finding.file) if report.config else None
    if not lines or not finding.line or finding.line > len(lines):
        return []
    frame = []
    width = len(str(finding.line + 1))
    for number in range(max(1, finding.line - 1), min(len(lines), finding.line + 1) + 1):
        marker = ">" if number == finding.line else " "
        frame.append("  %s %*d | %s" % (marker, width, number, lines[number - 1].rstrip()))
    return frame


def _painter(color):
    codes = {"error": "31;1", "warning": "33;1", "info": "36"}

    def paint(text, severity):
        return "\033[%sm%s\033[0m" % (codes[severity], text) if color else text
    return paint


def _rel(path):
    if not path:
        return "<unknown>"
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def render_json(reports):
    findings = []
    files = []
    suppressed = []
    nginx_tests = []
    for path, report in reports:
        findings.extend(f.as_dict() for f in report.findings)
        suppressed.extend(f.as_dict() for f in report.suppressed)
        files.extend(report.files)
        if report.nginx_test is not None:
            nginx_tests.append(dict(report.nginx_test, config=path))
    counts = {"error": 0, "warning": 0, "info": 0}
    for finding in findings:
        counts[finding["severity"]] += 1
    return json.dumps({"tool": TOOL_NAME, "version": TOOL_VERSION, "findings": findings,
                       "counts": counts, "suppressed": suppressed, "files": files,
                       "nginx_test": nginx_tests, "notes": [note for _report, note in _all_notes(reports)]},
                      indent=2) + "\n"


def _local(report, file):
    """The file on this machine a finding's file stands for: under --root, the repository's own
    (``etc/nginx/sites-enabled/app``), which code scanning and annotations can point into; findings
    themselves keep the name nginx sees (``/etc/nginx/sites-enabled/app``)."""
    local_file = getattr(report.config, "local_file", None)
    return local_file(file) if local_file is not None and file else file


def _nginx_name(file, local):
    return " (%s on the host)" % file if local != file else ""


def render_sarif(reports):
    used = []
    results = []
    for report, finding in _all_findings(reports):
        if finding.rule not in used:
            used.append(finding.rule)
        local = _local(report, finding.file)
        location = {"physicalLocation": {"artifactLocation": _artifact(local)}}
        if finding.line:
            location["physicalLocation"]["region"] = {"startLine": finding.line}
        message = finding.message + _nginx_name(finding.file, local) + (
            " (help: %s)" % finding.hint if finding.hint else "")
        results.append({"ruleId": finding.rule, "ruleIndex": used.index(finding.rule),
                        "level": _SARIF_LEVEL[finding.severity], "message": {"text": message},
                        "locations": [location]})
    rules = []
    for rule_id in used:
        rule = RULES[rule_id]
        rules.append({"id": rule.id, "name": _camel(rule.id),
                      "shortDescription": {"text": rule.summary},
                      "fullDescription": {"text": rule.why},
                      "helpUri": RULE_DOCS_URL % rule.id,
                      "help": {"text": rule.why,
                               "markdown": "%s\n\n[%s](%s)" % (rule.why, rule.id, RULE_DOCS_URL % rule.id)},
                      "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]}})
    run = {"tool": {"driver": {"name": TOOL_NAME, "version": TOOL_VERSION,
                               "informationUri": REPOSITORY_URL, "rules": rules}},
           "results": results}
    # Relative URIs are relative to the folder the check ran in (a checkout's root, for code scanning).
    run["originalUriBaseIds"] = {SRCROOT: {"uri": "file://" + quote(os.getcwd().rstrip("/") + "/")}}
    notifications = []
    for report, note in _all_notes(reports):
        notification = {"level": "note", "message": {"text": note["message"]}}
        location = {"physicalLocation": {"artifactLocation": _artifact(_local(report, note["file"]))}}
        if note["line"]:
            location["physicalLocation"]["region"] = {"startLine": note["line"]}
        notification["locations"] = [location]
        notifications.append(notification)
    if notifications:
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": notifications}]
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    }
    return json.dumps(sarif, indent=2) + "\n"


def _artifact(path):
    """SARIF wants URIs relative to the repository root when it can have them."""
    rel = _rel(path)
    if os.path.isabs(rel):
        return {"uri": "file://" + quote(rel)}
    return {"uri": quote(rel.replace(os.sep, "/")), "uriBaseId": SRCROOT}


def _camel(rule_id):
    return "".join(part.capitalize() for part in rule_id.split("-"))


def render_github(reports):
    lines = []
    for report, finding in _all_findings(reports):
        local = _local(report, finding.file)
        props = ["file=%s" % _escape_property(_rel(local))]
        if finding.line:
            props.append("line=%d" % finding.line)
        props.append("title=%s" % _escape_property("nginx-preflight: " + finding.rule))
        message = finding.message + _nginx_name(finding.file, local) + (
            " (help: %s)" % finding.hint if finding.hint else "")
        lines.append("::%s %s::%s" % (_GITHUB_LEVEL[finding.severity], ",".join(props), _escape_data(message)))
    for report, note in _all_notes(reports):
        props = ["file=%s" % _escape_property(_rel(_local(report, note["file"])))]
        if note["line"]:
            props.append("line=%d" % note["line"])
        props.append("title=%s" % _escape_property("nginx-preflight: note"))
        lines.append("::notice %s::%s" % (",".join(props), _escape_data(note["message"])))
    return "\n".join(lines) + ("\n" if lines else "")


def _escape_data(text):
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text):
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
