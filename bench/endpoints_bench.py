# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How `nginx-preflight endpoints` scales: a generated tree of N files of every kind the readers know.

The tree mixes shell scripts, crontabs, systemd units, Dockerfiles, Compose files, Kubernetes
manifests, GitHub workflows, Makefiles and .env files (about 40 lines each, a few curl commands
and endpoint variables in each), and one file in 500 holds the incident. Each size is scanned as
its own process (start-up included), --repeat times; the median is kept. Prints and writes JSON:
{size: {"seconds": median wall, "min", "max", "cpu": median CPU seconds, "files": n, ...}}.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

FILLER = "# housekeeping line %d: nothing here talks to the network\n"
KINDS = {
    "bin/warm-{n}.sh": "#!/bin/sh\nset -eu\nBACKEND=127.0.0.1:{port}\n{filler}"
                       "curl -fsS --retry 3 \"http://$BACKEND/health\"\nwget -qO- http://{host}/status\n",
    "etc/cron.d/job-{n}": "SHELL=/bin/sh\n{filler}*/5 * * * * root curl -fsS http://{host}/ping >/dev/null\n",
    "etc/systemd/system/app-{n}.service": "[Unit]\nDescription=app {n}\n\n[Service]\n"
                                          "Environment=BACKEND=http://{host}\n{filler_ini}"
                                          "ExecStart=/usr/bin/gunicorn -b 0.0.0.0:{port} app:app\n"
                                          "ExecStartPost=/usr/bin/curl -fsS $BACKEND/health\n",
    "images/{n}/Dockerfile": "FROM debian:12\nENV APP_URL=http://{host}\n{filler}"
                             "HEALTHCHECK CMD curl -f http://{host}/ || exit 1\n",
    "stacks/{n}/compose.yaml": "services:\n  web:\n    image: nginx\n    ports: [\"0.0.0.0:{port}:80\"]\n"
                               "    environment:\n      BACKEND_URL: http://{host}\n{filler_yaml}"
                               "    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://{host}/\"]\n",
    "k8s/{n}.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{n}\n{filler_yaml}spec:\n  containers:\n"
                    "    - name: web\n      image: nginx\n      env:\n        - name: API_URL\n"
                    "          value: http://{host}\n      livenessProbe:\n        exec:\n"
                    "          command: [\"curl\", \"-f\", \"http://{host}/\"]\n",
    ".github/workflows/ci-{n}.yml": "on: push\n{filler_yaml}jobs:\n  t:\n    runs-on: ubuntu-latest\n"
                                    "    steps:\n      - run: |\n          make test\n"
                                    "          curl -fsS http://{host}/health\n",
    "make/{n}/Makefile": "URL = http://{host}\n{filler}check:\n\tcurl -fsS $(URL)/health\n",
    "env/{n}/.env": "{filler}SERVICE_URL=http://{host}\nHOST=0.0.0.0\n",
}


def generate(root, size):
    """Write ``size`` files under ``root``; returns how many hold the incident."""
    shutil.rmtree(root, ignore_errors=True)
    patterns = list(KINDS.items())
    incidents = 0
    for number in range(size):
        pattern, template = patterns[number % len(patterns)]
        bad = number % 500 == (number // 500) % len(patterns)  # each incident in another kind of file
        incidents += bad
        lines = "".join(FILLER % i for i in range(30))
        text = template.format(
            n=number, port=8000 + number % 1000, host="0:80" if bad else "127.0.0.1:%d" % (9000 + number % 100),
            filler=lines, filler_ini=lines, filler_yaml=lines.replace("# ", "    # "))
        path = os.path.join(root, pattern.format(n=number))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(text)
    return incidents


def measure(root, repeat):
    # The checkout's engine, run by whichever Python runs the benchmark (bench.sh: its own venv).
    command = [sys.executable, "-m", "ansible_collections.preflight.nginx.plugins.module_utils.cli.main",
               "endpoints", "--format", "json", root]
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "collections"))
    times, cpu = [], []
    data = None
    for _round in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU time (user + system) is what the scan costs; wall time also counts other loads on the machine
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        data = json.loads(proc.stdout)
    times.sort()
    cpu.sort()
    flagged = {f["file"] for f in data["findings"] if f["severity"] == "error"}
    return {"seconds": times[len(times) // 2], "min": times[0], "max": times[-1], "cpu": cpu[len(cpu) // 2],
            "files": len(data["files"]),
            "errors": data["counts"]["error"], "flagged_files": len(flagged), "input_errors": len(data["errors"])}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", default=os.path.join(ROOT, "bench", "out", "endpoints-tree"))
    parser.add_argument("--output", default=os.path.join(ROOT, "bench", "out", "endpoints.json"))
    args = parser.parse_args(argv)
    results = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        incidents = generate(args.work, size)
        results[str(size)] = run = measure(args.work, args.repeat)
        run["incidents"] = incidents
        assert run["files"] == size and run["input_errors"] == 0, run
        assert run["flagged_files"] == incidents, run  # every incident found, nothing else
        print("%6d files: %.2f s (%.2f-%.2f), CPU %.2f s, %.2f ms CPU per file; incident found in %d of %d" % (
            size, run["seconds"], run["min"], run["max"], run["cpu"], 1000 * run["cpu"] / size,
            run["flagged_files"], incidents))
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
