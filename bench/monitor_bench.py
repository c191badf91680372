# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CPU seconds of one monitor run, on generated trees of 100 and 5,000 servers, cold and steady.

Each run is the program the timer starts, as installed on a host: Debian's /usr/bin/python3 with
the role's entry point and the engine zip (pack_engine.py), every check on (nginx -T, the engine,
a TCP probe of every upstream server, /proc, drift, env). CPU is user + system time of the program
and its children (nginx -T), from getrusage. Cold: no state dir (nothing cached). Steady: the same
tree again, unchanged. Prints and writes JSON: {size: {"cold": [s...], "steady": [s...]}}.

    python bench/monitor_bench.py [--sizes 100 5000] [--repeat 5] [--output monitor.json]
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import generate  # noqa: E402


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(python, program, config):
    # As under systemd: Python may keep the compiled engine (this machine's shell says not to).
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    before = children_cpu()
    proc = subprocess.run([python, program, "--config", config], capture_output=True, text=True, check=False,
                          env=env)
    if proc.returncode not in (0, 1) or "Traceback" in proc.stderr:
        raise SystemExit("the monitor failed (exit %d): %s" % (proc.returncode, proc.stderr[-2000:]))
    return children_cpu() - before


def measure(size, repeat, work, python, nginx):
    tree = os.path.join(work, "tree-%d" % size)
    main = generate.generate(tree, size)
    install = os.path.join(work, "install")
    state = os.path.join(work, "state-%d" % size)
    config = os.path.join(work, "monitor-%d.json" % size)
    with open(config, "w") as handle:
        json.dump({"textfile": os.path.join(work, "textfile", "monitor.prom"), "state_dir": state,
                   "nginx_binary": nginx, "nginx_config": main, "nginx_prefix": tree,
                   "backup_dir": os.path.join(work, "backups"), "interval": 60, "probe_timeout": 1}, handle)
    program = os.path.join(install, "bin", "preflight-nginx-monitor")
    result = {"cold": [], "steady": []}
    for _index in range(repeat):
        shutil.rmtree(state, ignore_errors=True)
        os.makedirs(state)
        result["cold"].append(one_run(python, program, config))
    one_run(python, program, config)  # the cache of the last cold run is in place: steady from here
    for _index in range(repeat):
        result["steady"].append(one_run(python, program, config))
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 5000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--python", default="/usr/bin/python3", help="the host's Python (no crossplane needed)")
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    parser.add_argument("--output")
    args = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix="preflight-monitor-bench-")
    try:
        install = os.path.join(work, "install")
        os.makedirs(os.path.join(install, "bin"))
        os.makedirs(os.path.join(install, "lib"))
        os.makedirs(os.path.join(work, "textfile"))
        shutil.copy(os.path.join(ROOT, "roles", "monitor", "files", "preflight_nginx_monitor.py"),
                    os.path.join(install, "bin", "preflight-nginx-monitor"))
        subprocess.run([sys.executable, os.path.join(ROOT, "roles", "monitor", "files", "pack_engine.py"), ROOT,
                        os.path.join(install, "lib", "preflight-nginx-engine.zip")], check=True)
        results = {}
        for size in args.sizes:
            results[str(size)] = measure(size, args.repeat, work, args.python, args.nginx)
            cold = statistics.median(results[str(size)]["cold"])
            steady = statistics.median(results[str(size)]["steady"])
            print("%6d servers: cold %.2f CPU-s, steady %.2f CPU-s (%.0f%% of cold)"
                  % (size, cold, steady, 100 * steady / cold), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.output:
        with open(args.output, "w") as handle:
            json.dump(results, handle, indent=1)
    return results


if __name__ == "__main__":
    main()
