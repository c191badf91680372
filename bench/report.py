# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write docs/performance.md and its plot from the benchmark results."""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

TARGETS = """\
| target | measured | met |
|---|---|---|
"""


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as handle:
            kib = int(next(line.split()[1] for line in handle if line.startswith("MemTotal")))
            memory = "%.0f GiB" % (kib / 1024 / 1024)
    except (OSError, StopIteration, ValueError):
        pass

    def version(command):
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        except OSError:
            return "not installed"
        return (proc.stdout + proc.stderr).strip().splitlines()[0] if (proc.stdout + proc.stderr).strip() else "?"

    python = sys.executable
    return [
        ("CPU", "%s, %d cores" % (cpu, os.cpu_count() or 0)),
        ("memory", memory),
        ("system", "%s %s" % (platform.system(), platform.release())),
        ("Python", platform.python_version()),
        ("nginx", version(["nginx", "-v"])),
        ("crossplane", version([python, "-c", "import crossplane; print(crossplane.__version__)"])),
        ("gixy-next", version([python, "-c", "import importlib.metadata as m; print(m.version('gixy-next'))"])),
        ("ansible-core", version([python, "-c", "import ansible; print(ansible.__version__)"])),
    ]


def fmt(stats):
    if not stats:
        return "not run"
    return "%.3f (%.3f-%.3f)" % (stats["median"], stats["min"], stats["max"])


def plot(engine, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [int(s) for s in engine["sizes"]]
    figure, axis = plt.subplots(figsize=(7, 4.5), dpi=110)
    for tool in engine["tools"]:
        points = [(s, engine["runs"][str(s)][tool]["seconds"]["median"])
                  for s in sizes if tool in engine["runs"][str(s)]]
        axis.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=tool)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("servers in the configuration (with N/2 upstreams: about 27 lines per server)")
    axis.set_ylabel("seconds (median, whole process)")
    axis.set_title("Checking an nginx configuration: time vs size")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)


def gate_files_section(gate_files):
    """The gate on one host with many files (bench/gate_files_bench.py)."""
    out = ["", "## Gate: number of files", "",
           "One host, N site templates rendered on the controller, validated, reloaded and health-checked by",
           "the gate role through ansible-playbook; then the same run again with nothing to change. Seconds.", "",
           "| files | deploy | unchanged run |", "|---|---|---|"]
    for size, times in sorted(gate_files.items(), key=lambda item: int(item[0])):
        out.append("| %s | %.1f | %.1f |" % (size, times["deploy"], times["unchanged"]))
    return out


def preview_section(preview):
    """What the preview costs a healthy deploy on one host (bench/preview_bench.py)."""
    out = ["", "## Gate: the preview", "",
           "One host, a tree of N servers on one port, a healthy deploy by the gate's host-side run (stage,",
           "validate, preview, swap, reload, health check, commit), with and without the preview, interleaved.",
           "Seconds, median (min-max); the preview step is its own time inside the run (a throwaway nginx",
           "started on the new tree, the health check run on it, stopped).", "",
           "| servers | with the preview | without | difference | preview step |", "|---|---|---|---|---|"]
    for size, times in sorted(preview.items(), key=lambda item: int(item[0])):
        with_, without = statistics.median(times["with"]), statistics.median(times["without"])
        out.append("| %s | %.3f (%.3f-%.3f) | %.3f (%.3f-%.3f) | %+.3f | %.3f |" % (
            size, with_, min(times["with"]), max(times["with"]), without, min(times["without"]),
            max(times["without"]), with_ - without, statistics.median(times["preview_step"])))
    return out


def monitor_section(monitor):
    """CPU of one monitor run, cold and steady (bench/monitor_bench.py)."""
    out = ["", "## Monitor: CPU per run", "",
           "One run of the monitor as the timer starts it (Debian's python3, the role's entry point and engine zip,",
           "every check on: nginx -T, the engine, a TCP probe of every upstream server and *_pass target, /proc,",
           "drift), user + system CPU seconds of the program and its children, medians. Cold: nothing cached;",
           "steady: the same tree unchanged, so neither nginx -T nor the engine runs (the content cache).", "",
           "| servers | cold | steady | steady / cold |", "|---|---|---|---|"]
    for size, runs in sorted(monitor.items(), key=lambda item: int(item[0])):
        cold, steady = statistics.median(runs["cold"]), statistics.median(runs["steady"])
        out.append("| %s | %.2f | %.2f | %.0f%% |" % (size, cold, steady, 100 * steady / cold))
    out += ["", "What a steady run still does on 5,000 servers: hash the files read and glob the include patterns",
            "(the cache key), connect to 7,500 backends (2,500 upstream servers, 5,000 fastcgi sockets), read /proc",
            "for 1,000 listen sockets, write some 17,000 samples. The program runs without PYTHONDONTWRITEBYTECODE,",
            "as under systemd (the entry point unpacks the engine once so that Python keeps its bytecode)."]
    return out


def endpoints_section(endpoints):
    """nginx-preflight endpoints on a generated tree of every kind of file (bench/endpoints_bench.py)."""
    out = ["", "## Endpoints: files reviewed", "",
           "`nginx-preflight endpoints` on a generated tree: shell scripts, crontabs, systemd units, Dockerfiles,",
           "Compose files, Kubernetes manifests, GitHub workflows, Makefiles and .env files in turn (about 40",
           "lines each), one in 500 with the incident. One process per run, start-up included; medians; wall",
           "time (min-max) and CPU time (user + system, what the scan itself costs on a shared machine).",
           "", "| files | wall seconds | CPU seconds | CPU ms per file | incidents found |", "|---|---|---|---|---|"]
    for size, run in sorted(endpoints.items(), key=lambda item: int(item[0])):
        out.append("| %s | %.2f (%.2f-%.2f) | %.2f | %.2f | %d of %d |" % (
            size, run["seconds"], run["min"], run["max"], run["cpu"], 1000 * run["cpu"] / int(size),
            run["flagged_files"], run["incidents"]))
    return out


def render(engine, playbooks, plot_name, gate_files=None, preview=None, monitor=None, endpoints=None):
    sizes = [str(s) for s in engine["sizes"]]
    tools = engine["tools"]
    out = ["# Performance", "",
           "<!-- Generated by `make bench` (bench/report.py). Do not edit: run the benchmark again. -->", "",
           "Every number here is measured by `make bench`, which reproduces this page on any",
           "machine: it generates the configurations, installs what it needs (gixy-next and",
           "matplotlib) in `bench/.venv`, runs the tools and writes this page and the plot.", "",
           "## Method", "",
           "- **Configurations**: `bench/generate.py` writes N servers (listen, two server names, root,",
           "  add_header, a `proxy_pass` to an upstream, one with a URI, a regex location with",
           "  `fastcgi_pass` to a unix socket and an include, an `alias` location) and N/2 upstreams",
           "  (zone, a server, a backup server, keepalive), 50 per file in `conf.d/` and `upstreams/`.",
           "  Same arguments, same bytes.",
           "- **Engine**: each tool runs as its own process on the same tree (so every number includes",
           "  the interpreter's start-up): `nginx-preflight check --format json`, a Python process that",
           "  only calls `crossplane.parse` (the floor of our design: we parse with crossplane),",
           "  `nginx -t` (C; what nginx itself spends) and `gixy` (gixy-next). Within each repetition",
           "  the tools alternate and the order rotates; medians with min-max, peak memory from the",
           "  process's maxrss.",
           "- **Playbooks**: `ansible-playbook` on the local connection, one nginx instance (own prefix",
           "  and port) per simulated host, forks = hosts. Each run deploys a real change (the backend",
           "  flips between two addresses); gate and naive runs alternate. The naive playbook is",
           "  template + `nginx -t` + `nginx -s reload` + `uri`. The gate role also checks the endpoint",
           "  variables, snapshots, validates with the rules and `nginx -t`, reads the config before and",
           "  after (semantic diff), probes the backends, waits for nginx's new workers and commits.",
           "- **Rollback**: the gate deploys a config whose backend is down; the time is from the failed",
           "  health check to the previous config restored, reloaded and health-checked again (the",
           "  role measures it and prints it in its failure message).", "",
           "## Machine", "", "| | |", "|---|---|"]
    out.extend("| %s | %s |" % item for item in machine())
    out += ["", "## Engine: time by size", "",
            "Seconds, median (min-max) of %d runs, whole process." % engine["repeat"], "",
            "| servers | lines | " + " | ".join(tools)
            + " | nginx-preflight / crossplane | gixy-next / nginx-preflight |",
            "|---|---|" + "---|" * (len(tools) + 2)]
    for size in sizes:
        runs = engine["runs"][size]
        ours = runs["nginx-preflight"]["seconds"]["median"]
        floor = runs["crossplane.parse"]["seconds"]["median"]
        gixy = runs.get("gixy-next", {}).get("seconds", {}).get("median")
        out.append("| %s | %s | %s | %.2f | %s |" % (
            size, engine["lines"][size], " | ".join(fmt(runs.get(t, {}).get("seconds")) for t in tools),
            ours / floor, "%.1f" % (gixy / ours) if gixy else "-"))
    out += ["", "![time vs size](%s)" % plot_name, "",
            "## Engine: peak memory", "", "MiB, median (min-max).", "",
            "| servers | " + " | ".join(tools) + " |", "|---|" + "---|" * len(tools)]
    for size in sizes:
        runs = engine["runs"][size]
        out.append("| %s | %s |" % (size, " | ".join(fmt(runs.get(t, {}).get("peak_mib")) for t in tools)))
    if len(sizes) > 1:
        first, last = sizes[0], sizes[-1]
        factor = float(last) / float(first)
        out += ["", "## Growth", "",
                "From %s to %s servers (%gx the size), each tool's time grew by:" % (first, last, factor), ""]
        for tool in tools:
            measured = [s for s in sizes if tool in engine["runs"][s]]
            low, high = measured[0], measured[-1]
            grow = engine["runs"][high][tool]["seconds"]["median"] / engine["runs"][low][tool]["seconds"]["median"]
            out.append("- %s: %.1fx from %s to %s servers" % (tool, grow, low, high))
        if len(sizes) > 2:
            a, b = sizes[-2], sizes[-1]
            ratio = engine["runs"][b]["nginx-preflight"]["seconds"]["median"] / \
                engine["runs"][a]["nginx-preflight"]["seconds"]["median"]
            out.append("")
            factor = float(b) / float(a)
            floor = engine["runs"][b]["crossplane.parse"]["seconds"]["median"] / \
                engine["runs"][a]["crossplane.parse"]["seconds"]["median"]
            out.append("nginx-preflight from %s to %s servers (%gx the size): %.2fx the time; crossplane alone: "
                       "%.2fx. %s" % (a, b, factor, ratio, floor,
                                      "Linear within measurement noise." if ratio <= factor * 1.25
                                      else "More than linear: see the notes."))
    if "profile" in engine:
        out += ["", "## Where the engine's time goes (%s servers, cProfile, by phase)" % engine["profile"]["size"], "",
                "| phase | seconds | share |", "|---|---|---|"]
        for phase, value in sorted(engine["profile"]["phases"].items(), key=lambda item: -item[1]["seconds"]):
            out.append("| %s | %.3f | %.0f%% |" % (phase, value["seconds"], value["share"] * 100))
    if playbooks and playbooks.get("hosts"):
        out += ["", "## Playbooks", "",
                "Seconds, median (min-max), whole ansible-playbook run; CPU: user + system seconds of the run and",
                "all its processes (median).", "",
                "| hosts | gate role | naive playbook | gate / naive | gate CPU | naive CPU |",
                "|---|---|---|---|---|---|"]
        for hosts, runs in sorted(playbooks["hosts"].items(), key=lambda item: int(item[0])):
            ratio = runs["gate"]["median"] / runs["naive"]["median"]
            out.append("| %s | %s | %s | %.2f | %.1f | %.1f |" % (
                hosts, fmt(runs["gate"]), fmt(runs["naive"]), ratio, runs["gate"].get("cpu_seconds", 0),
                runs["naive"].get("cpu_seconds", 0)))
        if playbooks.get("rollback"):
            out += ["", "Rollback, failed health check to the old config healthy again: %s s."
                    % fmt(playbooks["rollback"])]
    if gate_files:
        out += gate_files_section(gate_files)
    if preview:
        out += preview_section(preview)
    if monitor:
        out += monitor_section(monitor)
    if endpoints:
        out += endpoints_section(endpoints)
    out += ["", "## Targets", "", TARGETS.rstrip("\n")]
    out.extend(targets(engine, playbooks, preview, monitor))
    return "\n".join(out) + "\n"


def targets(engine, playbooks, preview=None, monitor=None):
    rows = []
    runs = engine["runs"].get("5000")
    if runs:
        ours = runs["nginx-preflight"]["seconds"]["median"]
        floor = runs["crossplane.parse"]["seconds"]["median"]
        rows.append("| 5,000 servers: full check <= 1.2 x crossplane.parse | %.2f x | %s |"
                    % (ours / floor, "yes" if ours / floor <= 1.2 else "no"))
        if "gixy-next" in runs:
            speed = runs["gixy-next"]["seconds"]["median"] / ours
            rows.append("| 5,000 servers: >= 20 x faster than gixy-next | %.1f x | %s |"
                        % (speed, "yes" if speed >= 20 else "no"))
    hosts = (playbooks or {}).get("hosts", {})
    if "1" in hosts:
        ratio = hosts["1"]["gate"]["median"] / hosts["1"]["naive"]["median"]
        rows.append("| gate <= 1.3 x the naive playbook on one host | %.2f x | %s |"
                    % (ratio, "yes" if ratio <= 1.3 else "no"))
    if "1" in hosts and "20" in hosts:
        ratio = hosts["20"]["gate"]["median"] / hosts["1"]["gate"]["median"]
        rows.append("| gate on 20 hosts <= 1.5 x one host | %.2f x | %s |" % (ratio, "yes" if ratio <= 1.5 else "no"))
    rollback = (playbooks or {}).get("rollback")
    if rollback:
        rows.append("| failed health check -> old config serving <= 5 s | %.2f s | %s |"
                    % (rollback["median"], "yes" if rollback["median"] <= 5 else "no"))
    for size, times in sorted((preview or {}).items(), key=lambda item: int(item[0])):
        extra = statistics.median(times["with"]) - statistics.median(times["without"])
        rows.append("| %s server%s: a healthy deploy with the preview <= 1 s more than without | %+.2f s | %s |"
                    % (size, "" if str(size) == "1" else "s", extra, "yes" if extra <= 1 else "no"))
    if monitor and "5000" in monitor:
        ratio = statistics.median(monitor["5000"]["steady"]) / statistics.median(monitor["5000"]["cold"])
        rows.append("| monitor, 5,000 servers unchanged: steady run <= 0.1 x a cold one | %.2f x | %s |"
                    % (ratio, "yes" if ratio <= 0.1 else "no"))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", required=True)
    parser.add_argument("--playbooks")
    parser.add_argument("--markdown", required=True)
    parser.add_argument("--plot", required=True)
    parser.add_argument("--notes", help="a Markdown file appended to the page (analysis of the numbers)")
    parser.add_argument("--gate-files", help="bench/gate_files_bench.py's JSON")
    parser.add_argument("--preview", help="bench/preview_bench.py's JSON")
    parser.add_argument("--monitor", help="bench/monitor_bench.py's JSON")
    parser.add_argument("--endpoints", help="bench/endpoints_bench.py's JSON")
    args = parser.parse_args(argv)
    with open(args.engine) as handle:
        engine = json.load(handle)
    playbooks, gate_files, preview, monitor, endpoints = (
        _optional_json(path) for path in (args.playbooks, args.gate_files, args.preview, args.monitor, args.endpoints))
    plot(engine, args.plot)
    text = render(engine, playbooks, os.path.relpath(args.plot, os.path.dirname(os.path.abspath(args.markdown))),
                  gate_files, preview, monitor, endpoints)
    if args.notes and os.path.exists(args.notes):
        with open(args.notes) as handle:
            text += "\n" + handle.read()
    with open(args.markdown, "w") as handle:
        handle.write(text)


def _optional_json(path):
    """A benchmark's JSON when that benchmark ran (its section is left out otherwise)."""
    if not path or not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)


if __name__ == "__main__":
    main()
