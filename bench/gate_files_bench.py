# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the gate scales with the number of files: one host, N templates, a real nginx.

Each size is deployed twice with the role through ansible-playbook: a first run that writes
every file (rendered on the controller, validated, reloaded, health-checked) and a second run
that changes nothing. Prints and writes JSON: {size: {"deploy": s, "unchanged": s}}.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SITE = ("server {\n    listen 127.0.0.1:{{ port }};\n    server_name site{{ number }}.example;\n"
        "    location / { return 200 \"site {{ number }} {{ version }}\\n\"; }\n}\n")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure(size, work, nginx):
    shutil.rmtree(work, ignore_errors=True)
    conf = os.path.join(work, "nginx")
    os.makedirs(os.path.join(conf, "conf.d"))
    os.makedirs(os.path.join(conf, "logs"))
    os.makedirs(os.path.join(work, "templates"))
    port = free_port()
    with open(os.path.join(conf, "nginx.conf"), "w") as handle:
        handle.write("pid nginx.pid;\nerror_log logs/error.log;\nevents { worker_connections 64; }\n"
                     "http {\n    access_log off;\n    server_names_hash_bucket_size 128;\n"
                     "    server_names_hash_max_size 8192;\n    include conf.d/*.conf;\n}\n")
    for number in range(size):
        with open(os.path.join(work, "templates", "site%d.conf.j2" % number), "w") as handle:
            handle.write(SITE.replace("{{ number }}", str(number)))
    files = [{"src": os.path.join(work, "templates", "site%d.conf.j2" % n),
              "dest": os.path.join(conf, "conf.d", "site%d.conf" % n)} for n in range(size)]
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "roles": [{
        "role": "preflight.nginx.gate", "vars": {
            "gate_files": files, "gate_config": os.path.join(conf, "nginx.conf"), "gate_prefix": conf,
            "gate_nginx_binary": nginx, "gate_reload_method": "signal", "gate_probe_backends": False,
            "gate_backup_dir": os.path.join(work, "backups"), "port": port,
            "gate_health_checks": [{"url": "http://127.0.0.1:%d/" % port, "headers": {"Host": "site0.example"},
                                    "body_regex": "site 0 v1"}]}}]}]
    book = os.path.join(work, "play.yml")
    with open(book, "w") as handle:
        json.dump(play, handle)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="False")
    subprocess.run([nginx, "-c", os.path.join(conf, "nginx.conf"), "-p", conf + "/"], check=True)
    times = {}
    try:
        for name in ("deploy", "unchanged"):
            started = time.perf_counter()
            proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
                                   "localhost,", book, "-e", "version=v1"], env=env, capture_output=True, text=True,
                                  check=False)
            times[name] = round(time.perf_counter() - started, 2)
            if proc.returncode != 0:
                raise SystemExit("%s run of %d files failed:\n%s" % (name, size, proc.stdout[-3000:]))
    finally:
        subprocess.run([nginx, "-c", os.path.join(conf, "nginx.conf"), "-p", conf + "/", "-s", "quit"], check=False)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="250,500,2000")
    parser.add_argument("--work", default=os.path.join(HERE, "out", "gate-files"))
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    results = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        results[size] = measure(size, args.work, args.nginx)
        times = results[size]
        print("%5d files: deploy %.1f s, unchanged %.1f s" % (size, times["deploy"], times["unchanged"]), flush=True)
    with open(args.output, "w") as handle:
        json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
