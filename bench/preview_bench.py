# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the preview costs: a healthy deploy on one host with and without it, a real nginx.

The gate's host-side run (nginx_deploy's deploy.run: stage, validate, [preview], swap, reload, health
check, commit) deploys v1 and v2 of a tree of N servers on one port in turn, so that every run changes
the files; with and without the preview interleaved, so that both see the same machine. Prints and
writes JSON: {size: {"with": [s...], "without": [s...], "preview_step": [s...]}}.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))

from ansible_collections.preflight.nginx.plugins.module_utils.host import deploy  # noqa: E402


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tree(size, port, version):
    return "".join("server {\n    listen 127.0.0.1:%d;\n    server_name site%d.example;\n"
                   "    location / { return 200 \"site %d %s\\n\"; }\n}\n" % (port, n, n, version)
                   for n in range(size))


def measure(size, work, nginx, repeat):
    shutil.rmtree(work, ignore_errors=True)
    conf = os.path.join(work, "nginx")
    os.makedirs(os.path.join(conf, "conf.d"))
    os.makedirs(os.path.join(conf, "logs"))
    port = free_port()
    main = os.path.join(conf, "nginx.conf")
    with open(main, "w") as handle:
        handle.write("pid nginx.pid;\nerror_log logs/error.log;\nevents { worker_connections 64; }\n"
                     "http {\n    access_log off;\n    server_names_hash_bucket_size 128;\n"
                     "    server_names_hash_max_size 8192;\n    include conf.d/*.conf;\n}\n")
    site = os.path.join(conf, "conf.d", "sites.conf")
    with open(site, "w") as handle:
        handle.write(tree(size, port, "v0"))
    subprocess.run([nginx, "-c", main, "-p", conf + "/"], check=True)
    times = {"with": [], "without": [], "preview_step": []}
    try:
        time.sleep(0.2)
        for run in range(2 * repeat):
            version = "v%d" % (run + 1)
            preview = run % 2 == 0
            settings = deploy.Settings(
                files=[{"dest": site, "content": tree(size, port, version)}], config=main, prefix=conf,
                nginx_binary=nginx, probe_backends="none", reload_method="signal",
                backup_dir=os.path.join(work, "backups"),
                preview=preview, health_checks=[{"url": "http://site0.example:%d/" % port,
                                                 "resolve": ["site0.example:%d:127.0.0.1" % port],
                                                 "body_regex": "site 0 %s" % version}])
            started = time.perf_counter()
            result = deploy.run(settings, deploy.subprocess_runner)
            elapsed = time.perf_counter() - started
            if result["failed"]:
                raise SystemExit("deploy %s of %d servers failed: %s" % (version, size, result["msg"]))
            times["with" if preview else "without"].append(round(elapsed, 3))
            if preview:
                if not result["preview"]["ok"]:
                    raise SystemExit("the preview did not run: %s" % result["preview"])
                times["preview_step"].append(result["preview"]["elapsed"])
    finally:
        subprocess.run([nginx, "-c", main, "-p", conf + "/", "-s", "quit"], check=False)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1,1000")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--work", default=os.path.join(HERE, "out", "preview"))
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    results = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        times = results[size] = measure(size, args.work, args.nginx, args.repeat)
        with_, without = statistics.median(times["with"]), statistics.median(times["without"])
        print("%5d servers: with the preview %.3f s, without %.3f s, difference %+.3f s (preview step %.3f s)"
              % (size, with_, without, with_ - without, statistics.median(times["preview_step"])), flush=True)
    with open(args.output, "w") as handle:
        json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
