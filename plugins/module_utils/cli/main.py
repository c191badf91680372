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

from ansible_collections.preflight.nginx.plugins.module_utils import (
    endpoint_scan,
    engine,
    env_endpoints,
    nginx_config,
    source,
)
from ansible_collections.preflight.nginx.plugins.module_utils.cli import report, rule_docs
from ansible_collections.preflight.nginx.plugins.module_utils.findings import EXPECT_MARKER, SEVERITIES
from ansible_collections.preflight.nginx.plugins.module_utils.rules import RULES

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def build_parser():
    parser = argparse.ArgumentParser(
        prog="nginx-preflight",
        description="Check nginx configurations for addresses and settings that nginx -t lets through.")
    parser.add_argument("--version", action="version", version="%(prog)s " + report.TOOL_VERSION)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    check = commands.add_parser(
        "check", help="check configuration files",
        description="Check nginx configurations: a main file or a directory holding nginx.conf, a file "
                    "included in http, stream, a server or a location (the context is guessed), - for "
                    "standard input, nginx -T output, or a Docker-style template with its environment.")
    check.add_argument("paths", nargs="+", metavar="PATH",
                       help="a configuration file, a directory holding nginx.conf, or - for standard input")
    check.add_argument("--format", choices=report.FORMATS, default="text", help="output format (default: text)")
    check.add_argument("--fail-on", choices=SEVERITIES, default="error",
                       help="lowest severity that makes the exit code 1 (default: error)")
    check.add_argument("--select", action="append", default=[], metavar="RULES",
                       help="run only these rules (comma-separated, repeatable)")
    check.add_argument("--ignore", action="append", default=[], metavar="RULES",
                       help="skip these rules (comma-separated, repeatable)")
    check.add_argument("--context", choices=nginx_config.CONTEXTS + (nginx_config.AUTO,), default="auto",
                       help="where the file's top level stands: main (a whole nginx.conf), http, stream, server, "
                            "location; default: guessed from what the file holds")
    check.add_argument("--root", metavar="DIR",
                       help="read absolute paths (includes, links) under DIR, as if DIR were /: a repository copy "
                            "of /etc/nginx; findings name files as nginx sees them")
    check.add_argument("--dump", action="store_true",
                       help="the input is nginx -T output (recognised by itself when it starts like one)")
    check.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                       help="check the file as a template rendered by envsubst with this variable (repeatable)")
    check.add_argument("--env-file", action="append", default=[], metavar="FILE",
                       help="variables for the template from an env file (Compose .env, systemd EnvironmentFile=)")
    check.add_argument("--env-filter", metavar="REGEX",
                       help="substitute only variables whose names match, as NGINX_ENVSUBST_FILTER does")
    check.add_argument("--prefix", metavar="DIR",
                       help="nginx's -p, for --nginx-t; relative includes start at the main file's folder "
                            "whatever it says, as nginx's do (for standard input, which has no folder: where "
                            "they start; default: here)")
    check.add_argument("--as", dest="as_path", metavar="DEST",
                       help="check the one PATH as though it were at DEST (an nginx path such as "
                            "/etc/nginx/conf.d/app.conf, read under --root if given): findings name DEST and "
                            "are also written to standard error, for validate: in ansible.builtin.template")
    check.add_argument("--nginx-version", metavar="X.Y.Z",
                       help="the nginx that will run the configuration, for version-dependent advice "
                            "(default: ask the installed nginx -v, if there is one)")
    check.add_argument("--resolve", action="store_true",
                       help="look host names up on this machine (run it where nginx runs)")
    check.add_argument("--nginx-t", dest="nginx_test", action="store_true",
                       help="also run nginx -t on each main file and merge its messages")
    check.add_argument("--nginx-binary", default="nginx", help="nginx binary for --nginx-t (default: nginx)")
    check.add_argument("--nginx-only", action="store_true",
                       help="skip files that do not read as nginx configuration (ntp, php-fpm, Apache files "
                            "named *.conf), saying so on standard error")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")

    endpoints = commands.add_parser(
        "endpoints", help="review curl commands and endpoint variables in scripts, units, crontabs, CI...",
        description="Review every curl, wget, nc... command and endpoint variable in shell scripts, crontabs, "
                    "systemd units, Dockerfiles, Compose files, Kubernetes manifests and Helm values, CI "
                    "workflows, Makefiles and .env files: a connect target at 0:80 is an error; where a "
                    "server binds (--host 0.0.0.0, HOST=0.0.0.0, ListenStream=) is fine.")
    endpoints.add_argument("paths", nargs="*", metavar="PATH",
                           help="files or folders (folders are walked); none needed with --host")
    endpoints.add_argument("--format", choices=report.FORMATS, default="text",
                           help="output format (default: text)")
    endpoints.add_argument("--fail-on", choices=SEVERITIES, default="error",
                           help="lowest severity that makes the exit code 1 (default: error)")
    endpoints.add_argument("--root", metavar="DIR",
                           help="read the paths (and absolute paths inside files: EnvironmentFile=) under DIR, "
                                "as if it were /: a host's tree copied elsewhere")
    endpoints.add_argument("--host", action="store_true",
                           help="also review the places a host keeps commands (/etc/crontab, /etc/cron.d, "
                                "/etc/cron.daily..., user crontabs, /etc/systemd/system, /etc/default, "
                                "/etc/environment, /etc/profile.d), under --root")
    endpoints.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                           help="a variable the files use, known from elsewhere (repeatable)")
    endpoints.add_argument("--env-file", action="append", default=[], metavar="FILE",
                           help="variables the files use, from an env file")
    endpoints.add_argument("--explain", action="store_true",
                           help="also say which values were not judged, and why (variables set elsewhere), and "
                                "which named files no reader knows")

    rules = commands.add_parser("rules", help="list the rules")
    rules.add_argument("--format", choices=("text", "json"), default="text")

    explain = commands.add_parser("explain", help="show why a rule exists, with examples")
    explain.add_argument("rule", metavar="RULE")

    docs = commands.add_parser("docs", help="write the rule reference pages (Markdown)")
    docs.add_argument("directory", metavar="DIR", help="where to write them, e.g. docs/rules")
    return parser


def _split(values):
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _template_variables(args):
    """The variables given for a template, env files first; raises ValueError naming the bad one."""
    variables = {}
    try:
        variables.update(env_endpoints.read_env_files(args.env_file))
    except env_endpoints.EnvFileError as exc:
        raise ValueError("--env-file %s" % exc) from exc
    for item in args.env:
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise ValueError("--env %r: write NAME=VALUE" % item)
        variables[name] = value
    return variables


def _source(path, args, variables):
    """The Source a PATH argument stands for, whichever kind of input it is."""
    if args.as_path:
        # The file stands at DEST for nginx: relative includes start beside DEST, under --root if given.
        dest = os.path.normpath(args.as_path)
        mapping = {"/": os.path.realpath(args.root)} if args.root else {}
        mapping[dest] = os.path.abspath(path)
        return source.Source.file(dest, mapping=mapping, context=args.context, prefix=args.prefix)
    stdin = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    return source.Source.for_path(path, dump=args.dump, variables=variables, name_filter=args.env_filter,
                                  root=args.root, context=args.context, prefix=args.prefix, stdin=stdin)


def cmd_check(args, out, err):
    try:
        options = engine.Options(
            select=_split(args.select), ignore=_split(args.ignore),
            nginx_version=args.nginx_version or engine.nginx_version(args.nginx_binary),
            resolve_hosts=args.resolve, nginx_test=args.nginx_test, nginx_binary=args.nginx_binary)
        variables = _template_variables(args) if args.env or args.env_file or args.env_filter else None
    except ValueError as exc:
        err.write("nginx-preflight: error: %s\n" % exc)
        return EXIT_USAGE
    if args.nginx_test and engine.find_nginx(args.nginx_binary) is None:
        err.write("nginx-preflight: error: --nginx-t: nginx binary %r not found\n" % args.nginx_binary)
        return EXIT_USAGE
    if args.as_path and (len(args.paths) != 1 or args.paths == ["-"] or args.dump or variables is not None
                         or args.nginx_test or not os.path.isabs(args.as_path)):
        err.write("nginx-preflight: error: --as DEST names one file PATH (not -, --dump, --env or --nginx-t) by "
                  "an absolute DEST\n")
        return EXIT_USAGE
    if args.paths.count("-") > 1:
        err.write("nginx-preflight: error: standard input (-) can be read only once\n")
        return EXIT_USAGE
    reports = []
    unreadable = False
    for path in args.paths:
        try:
            described = _source(path, args, variables)
            refusal = described.nginx_test_refusal() if args.nginx_test else None
            if refusal and described.kind == source.FILE:
                # A tree under --root is refused whole; a dump or stdin among files is checked without it.
                err.write("nginx-preflight: error: --nginx-t%s: %s\n" % (" with --root" if args.root else "", refusal))
                return EXIT_USAGE
            result = engine.check(described, options if not refusal else options.without_nginx_test())
        except (engine.ConfigLoadError, ValueError) as exc:
            # One path that cannot be read does not hide what the others have.
            err.write("nginx-preflight: error: %s: %s\n" % (path, exc))
            unreadable = True
            continue
        if args.nginx_only and not nginx_config.reads_as_nginx(result.config):
            err.write("nginx-preflight: skipped %s: it does not read as nginx configuration\n" % path)
            continue
        reports.append((described.name, result))
    color = args.color == "always" or (args.color == "auto" and out.isatty() and "NO_COLOR" not in os.environ)
    if reports:
        # --as DEST names DEST as given, wherever validate: runs the command from.
        out.write(report.render(reports, args.format, color, relative=not args.as_path))
        if args.as_path and reports[0][1].findings:
            # Ansible's validate: failure ("failed to validate") shows stderr beside stdout.
            err.write(report.render(reports, "text", relative=False))
    failing = any(result.failing(args.fail_on) for _path, result in reports)
    return EXIT_USAGE if unreadable else EXIT_FINDINGS if failing else EXIT_OK


def cmd_endpoints(args, out, err):
    try:
        variables = _template_variables(args)
    except ValueError as exc:
        err.write("nginx-preflight: error: %s\n" % exc)
        return EXIT_USAGE
    if not args.paths and not args.host:
        err.write("nginx-preflight endpoints: error: the following arguments are required: PATH (or --host)\n")
        return EXIT_USAGE
    paths = list(args.paths)
    if args.host:
        paths = endpoint_scan.host_paths(args.root or "/") + paths
    result = endpoint_scan.scan(paths, root=args.root, env=variables, explain=args.explain)
    color = args.color == "always" if hasattr(args, "color") else False
    if args.format == "json":
        data = json.loads(report.render([("endpoints", result)], "json"))
        data.pop("nginx_test", None)
        data.update(errors=result.errors, skipped=result.skipped, notes=result.notes,
                    kinds=result.kinds, values=result.uses, unjudged=result.unjudged)
        out.write(json.dumps(data, indent=2) + "\n")
    else:
        out.write(report.render([("endpoints", result)], args.format, color))
    if args.explain and args.format == "text":
        for note in result.notes:
            out.write("%s:%s: note: %s\n" % (note["file"], note["line"], note["message"]))
        for skipped in result.skipped:
            out.write("%s: note: skipped: %s\n" % (skipped["file"], skipped["reason"]))
    for error in result.errors:
        message = error["message"]
        err.write("nginx-preflight: error: %s\n" % (message if message.startswith(error["file"]) else
                                                    "%s: %s" % (error["file"], message)))
    if result.errors:
        return EXIT_USAGE
    return EXIT_FINDINGS if result.failing(args.fail_on) else EXIT_OK


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
        if args.command == "endpoints":
            return cmd_endpoints(args, out, err)
        if args.command == "docs":
            written = rule_docs.write(args.directory)
            out.write("wrote %d pages to %s\n" % (len(written), args.directory))
            return EXIT_OK
        return cmd_explain(args, out, err)
    except BrokenPipeError:
        return EXIT_OK


def run():
    """Console-script entry point."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    # The checked trees are a graph of a million objects in cycles; collecting them only to
    # exit costs a tenth of a large run. The output is flushed; nothing else waits for exit.
    os._exit(code)


if __name__ == "__main__":
    run()
