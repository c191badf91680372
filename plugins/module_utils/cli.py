# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""nginx-preflight: check nginx configurations from the command line.

Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage or I/O problem.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from ansible_collections.preflight.nginx.plugins.module_utils import engine, report, rule_docs
from ansible_collections.preflight.nginx.plugins.module_utils.findings import EXPECT_MARKER, SEVERITIES
from ansible_collections.preflight.nginx.plugins.module_utils.rules import RULES

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def build_parser():
    parser = argparse.ArgumentParser(
        prog="nginx-preflight",
        description="Check nginx configurations for addresses and settings that nginx -t lets through.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    check = commands.add_parser("check", help="check configuration files",
                                description="Check one or more nginx configurations.")
    check.add_argument("paths", nargs="+", metavar="PATH",
                       help="main configuration file, or a directory holding nginx.conf")
    check.add_argument("--format", choices=report.FORMATS, default="text", help="output format (default: text)")
    check.add_argument("--fail-on", choices=SEVERITIES, default="error",
                       help="lowest severity that makes the exit code 1 (default: error)")
    check.add_argument("--select", action="append", default=[], metavar="RULES",
                       help="run only these rules (comma-separated, repeatable)")
    check.add_argument("--ignore", action="append", default=[], metavar="RULES",
                       help="skip these rules (comma-separated, repeatable)")
    check.add_argument("--prefix", help="directory relative includes start at (default: the main file's)")
    check.add_argument("--nginx-t", dest="nginx_test", action="store_true",
                       help="also run nginx -t on each configuration and merge its messages")
    check.add_argument("--nginx-binary", default="nginx", help="nginx binary for --nginx-t (default: nginx)")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")

    rules = commands.add_parser("rules", help="list the rules")
    rules.add_argument("--format", choices=("text", "json"), default="text")

    explain = commands.add_parser("explain", help="show why a rule exists, with examples")
    explain.add_argument("rule", metavar="RULE")

    docs = commands.add_parser("docs", help="write the rule reference pages (Markdown)")
    docs.add_argument("directory", metavar="DIR", help="where to write them, e.g. docs/rules")
    return parser


def _split(values):
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _main_file(path):
    return os.path.join(path, "nginx.conf") if os.path.isdir(path) else path


def cmd_check(args, out, err):
    try:
        select = engine.resolve_rule_ids(_split(args.select))
        ignore = engine.resolve_rule_ids(_split(args.ignore))
    except ValueError as exc:
        err.write("nginx-preflight: error: %s\n" % exc)
        return EXIT_USAGE
    if args.nginx_test and engine.find_nginx(args.nginx_binary) is None:
        err.write("nginx-preflight: error: --nginx-t: nginx binary %r not found\n" % args.nginx_binary)
        return EXIT_USAGE
    reports = []
    for path in args.paths:
        main_file = _main_file(path)
        try:
            result = engine.check_file(main_file, prefix=args.prefix, select=select, ignore=ignore,
                                       nginx_test=args.nginx_test, nginx_binary=args.nginx_binary)
        except engine.ConfigLoadError as exc:
            err.write("nginx-preflight: error: %s\n" % exc)
            return EXIT_USAGE
        reports.append((main_file, result))
    color = args.color == "always" or (args.color == "auto" and out.isatty() and "NO_COLOR" not in os.environ)
    out.write(report.render(reports, args.format, color))
    failing = any(result.failing(args.fail_on) for _path, result in reports)
    return EXIT_FINDINGS if failing else EXIT_OK


def cmd_rules(args, out):
    if args.format == "json":
        out.write(json.dumps([r.as_dict() for r in RULES.values()], indent=2) + "\n")
        return EXIT_OK
    width = max(len(r) for r in RULES)
    for rule in RULES.values():
        out.write("%-*s  %-7s  %s\n" % (width, rule.id, rule.severity, rule.summary))
    return EXIT_OK


def cmd_explain(args, out, err):
    rule = RULES.get(args.rule)
    if rule is None:
        err.write("nginx-preflight: error: unknown rule %r; see 'nginx-preflight rules'\n" % args.rule)
        return EXIT_USAGE
    out.write(explain_text(rule))
    return EXIT_OK


def explain_text(rule):
    bad = rule.bad.replace(EXPECT_MARKER, EXPECT_MARKER + " " + rule.id) if rule.bad_line else rule.bad
    return "%s (%s)\n\n%s\n\nWhy: %s\n\nBad:\n%s\nGood:\n%s" % (
        rule.id, rule.severity, rule.summary, rule.why, _indent(bad), _indent(rule.good))


def _indent(text):
    return "".join("    " + line + "\n" for line in text.splitlines())


def main(argv=None, out=None, err=None):
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        if args.command == "check":
            return cmd_check(args, out, err)
        if args.command == "rules":
            return cmd_rules(args, out)
        if args.command == "docs":
            written = rule_docs.write(args.directory)
            out.write("wrote %d pages to %s\n" % (len(written), args.directory))
            return EXIT_OK
        return cmd_explain(args, out, err)
    except BrokenPipeError:
        return EXIT_OK


def run():
    """Console-script entry point."""
    raise SystemExit(main())


if __name__ == "__main__":
    run()
