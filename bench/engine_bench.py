# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine benchmark: nginx-preflight check vs crossplane.parse vs nginx -t vs gixy-next.

Every tool runs as its own process on the same generated tree, the tools
alternate within each repetition (the order rotates), and each run records
wall time and peak memory (the child's maxrss). Writes results as JSON.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import generate  # noqa: E402

CLI_MODULE = "ansible_collections.preflight.nginx.plugins.module_utils.cli.main"
CROSSPLANE_ONLY = ("import sys, crossplane; "
                   "crossplane.parse(sys.argv[1], comments=True, check_ctx=False)")


def tools(python, gixy, nginx):
    """name -> function(tree) giving the command line that checks the tree."""
    found = {
        "nginx-preflight": lambda tree: [python, "-m", CLI_MODULE,
                                         "check", "--format", "json", os.path.join(tree, "nginx.conf")],
        "crossplane.parse": lambda tree: [python, "-c", CROSSPLANE_ONLY, os.path.join(tree, "nginx.conf")],
    }
    if nginx:
        found["nginx -t"] = lambda tree: [nginx, "-t", "-q", "-c", os.path.join(tree, "nginx.conf"), "-p", tree + "/"]
    if gixy:
        found["gixy-next"] = lambda tree: [gixy, "--format", "json", os.path.join(tree, "nginx.conf")]
    return found


def measure(command, env):
    """(seconds, peak RSS in MiB, exit code) of one run."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024.0, proc.returncode


def count_lines(tree):
    total = 0
    for folder, _dirs, files in os.walk(tree):
        for name in files:
            if name.endswith(".conf"):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    total += sum(1 for _line in handle)
    return total


def summarize(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def profile_engine(tree):
    """Where the engine's time goes on one tree: cumulative time of each phase's entry point."""
    from ansible_collections.preflight.nginx.plugins.module_utils import engine
    from ansible_collections.preflight.nginx.plugins.module_utils.cli import report

    profiler = cProfile.Profile()
    profiler.enable()
    result = engine.check_file(os.path.join(tree, "nginx.conf"))
    report.render([(tree, result)], "json")
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO()).stats

    def cumulative(path_end, function):
        return sum(value[3] for (filename, _line, name), value in stats.items()
                   if filename.replace(os.sep, "/").endswith(path_end) and name == function)

    total = cumulative("engine.py", "check_file") + cumulative("report.py", "render")
    lexing = cumulative("crossplane/lexer.py", "lex")
    crossplane_total = cumulative("crossplane/parser.py", "parse")
    loading = cumulative("nginx_config.py", "load")
    phases = {
        "lexing (crossplane lexer)": lexing,
        "parsing (crossplane parser and arity check)": crossplane_total - lexing,
        "loading (reading files, directives, includes)": loading - crossplane_total,
        "analysis (model, rules, suppressions)": cumulative("engine.py", "_check"),
        "output (JSON report)": cumulative("report.py", "render"),
    }
    phases["other"] = max(total - sum(phases.values()), 0.0)
    return {name: {"seconds": round(value, 4), "share": round(value / (total or 1.0), 4)}
            for name, value in phases.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000,20000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", default=os.path.join(HERE, "out"))
    parser.add_argument("--gixy", default=shutil.which("gixy"))
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    parser.add_argument("--profile-size", type=int, default=5000)
    parser.add_argument("--gixy-max-size", type=int, default=5000,
                        help="largest size gixy-next runs on (it grows faster than linearly)")
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "collections"))
    commands = tools(sys.executable, args.gixy, args.nginx if os.path.exists(args.nginx) else None)
    results = {"sizes": sizes, "repeat": args.repeat, "tools": list(commands), "runs": {}, "lines": {}}
    for size in sizes:
        tree = os.path.join(args.work, "trees", str(size))
        if not os.path.exists(os.path.join(tree, "nginx.conf")):
            generate.generate(tree, size)
        results["lines"][size] = count_lines(tree)
        times = {name: [] for name in commands}
        memory = {name: [] for name in commands}
        codes = {name: set() for name in commands}
        results.setdefault("skipped", {})
        names = [n for n in commands if n != "gixy-next" or size <= args.gixy_max_size]
        for repetition in range(args.repeat):
            shift = repetition % len(names)
            for name in names[shift:] + names[:shift]:
                seconds, rss, code = measure(commands[name](tree), env)
                times[name].append(seconds)
                memory[name].append(rss)
                codes[name].add(code)
        results["runs"][size] = {name: {"seconds": summarize(times[name]), "peak_mib": summarize(memory[name]),
                                        "exit_codes": sorted(codes[name])} for name in names}
        results["skipped"][size] = [n for n in commands if n not in names]
        print("%6d servers: %s" % (size, "  ".join("%s %.3fs" % (n, statistics.median(times[n])) for n in names)),
              flush=True)
    if args.profile_size in sizes:
        sys.path.insert(0, env["PYTHONPATH"])
        results["profile"] = {"size": args.profile_size,
                              "phases": profile_engine(os.path.join(args.work, "trees", str(args.profile_size)))}
    with open(args.output, "w") as handle:
        json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
