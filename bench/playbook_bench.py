# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Playbook benchmark: the gate role vs a naive template + nginx -t + reload + uri playbook.

Each simulated host is an inventory host on the local connection with its own
nginx instance (own prefix, own loopback port); forks = hosts. Every run
deploys a real change (the backend flips between v1 and v2), gate and naive
runs alternate. Also measures the gate's rollback: from the failed health
check to the old configuration serving and healthy again.
"""

import argparse
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BASE_PORT = 19000

SITE = """upstream app {
    server {{ backend }};
}
server {
    listen 127.0.0.1:{{ front_port }};
    location / {
        proxy_pass http://app;
    }
}
"""

FRONT = """pid nginx.pid;
error_log logs/error.log;
worker_processes 1;
events { worker_connections 64; }
http {
    access_log off;
    include conf.d/*.conf;
}
"""

BACKEND = """pid nginx.pid;
error_log logs/error.log;
worker_processes 1;
events { worker_connections 256; }
http {
    access_log off;
    server { listen 127.0.0.1:%d; return 200 "v1\\n"; }
    server { listen 127.0.0.1:%d; return 200 "v2\\n"; }
}
"""

GATE_PLAY = """- name: Deploy through the gate
  hosts: all
  gather_facts: false
  roles:
    - role: preflight.nginx.gate
      vars:
        gate_files:
          - src: "{{ playbook_dir }}/site.conf.j2"
            dest: "{{ front_dir }}/conf.d/site.conf"
        gate_config: "{{ front_dir }}/nginx.conf"
        gate_prefix: "{{ front_dir }}"
        gate_nginx_binary: "%(nginx)s"
        gate_reload_method: signal
        gate_backup_dir: "{{ front_dir }}/backups"
        gate_health_checks:
          - url: "http://127.0.0.1:{{ front_port }}/"
            status: [200]
            deadline: 5
            delay: 0.1
"""

NAIVE_PLAY = """- name: Deploy the naive way
  hosts: all
  gather_facts: false
  tasks:
    - name: Write the site
      ansible.builtin.template:
        src: "{{ playbook_dir }}/site.conf.j2"
        dest: "{{ front_dir }}/conf.d/site.conf"
        mode: "0644"
    - name: Test the configuration
      ansible.builtin.command: "%(nginx)s -t -q -c {{ front_dir }}/nginx.conf -p {{ front_dir }}/"
      changed_when: false
    - name: Reload
      ansible.builtin.command: "%(nginx)s -s reload -c {{ front_dir }}/nginx.conf -p {{ front_dir }}/"
      changed_when: true
    - name: Check the site
      ansible.builtin.uri:
        url: "http://127.0.0.1:{{ front_port }}/"
      register: answer
      until: answer.status == 200
      retries: 50
      delay: 0.1
"""


def start_nginx(nginx, prefix):
    subprocess.run([nginx, "-c", os.path.join(prefix, "nginx.conf"), "-p", prefix + "/"], check=True)


def stop_all(work):
    for folder, _dirs, files in os.walk(work):
        if "nginx.pid" in files:
            try:
                with open(os.path.join(folder, "nginx.pid")) as handle:
                    os.kill(int(handle.read().strip()), signal.SIGQUIT)
            except (OSError, ValueError):
                pass
    time.sleep(0.3)


def setup(work, nginx, hosts):
    backend = os.path.join(work, "backend")
    os.makedirs(os.path.join(backend, "logs"))
    with open(os.path.join(backend, "nginx.conf"), "w") as handle:
        handle.write(BACKEND % (BASE_PORT + 901, BASE_PORT + 902))
    start_nginx(nginx, backend)
    inventory = ["[fleet]"]
    for index in range(1, hosts + 1):
        front = os.path.join(work, "h%d" % index)
        os.makedirs(os.path.join(front, "logs"))
        os.makedirs(os.path.join(front, "conf.d"))
        with open(os.path.join(front, "nginx.conf"), "w") as handle:
            handle.write(FRONT)
        with open(os.path.join(front, "conf.d", "site.conf"), "w") as handle:
            handle.write(SITE.replace("{{ backend }}", "127.0.0.1:%d" % (BASE_PORT + 901))
                         .replace("{{ front_port }}", str(BASE_PORT + index)))
        start_nginx(nginx, front)
        inventory.append("h%d ansible_connection=local front_dir=%s front_port=%d"
                         % (index, front, BASE_PORT + index))
    with open(os.path.join(work, "inventory.ini"), "w") as handle:
        handle.write("\n".join(inventory) + "\n")
    with open(os.path.join(work, "site.conf.j2"), "w") as handle:
        handle.write(SITE)
    for name, play in (("gate.yml", GATE_PLAY), ("naive.yml", NAIVE_PLAY)):
        with open(os.path.join(work, name), "w") as handle:
            handle.write(play % {"nginx": nginx})


def play(work, name, hosts, backend, env, extra=None):
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
               os.path.join(work, "inventory.ini"), "--forks", str(hosts), "-e", "backend=%s" % backend,
               os.path.join(work, name)]
    if extra:
        command[-1:-1] = ["-e", json.dumps(extra)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc.cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, proc


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default="1,5,20")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rollbacks", type=int, default=3)
    parser.add_argument("--work", default=os.path.join(HERE, "out", "playbooks"))
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="False", ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="False", ANSIBLE_LOCALHOST_WARNING="False")
    results = {"hosts": {}, "rollback": {}}
    versions = ["127.0.0.1:%d" % (BASE_PORT + 902), "127.0.0.1:%d" % (BASE_PORT + 901)]
    for hosts in [int(h) for h in args.hosts.split(",")]:
        work = os.path.join(args.work, "hosts-%d" % hosts)
        stop_all(work)
        shutil.rmtree(work, ignore_errors=True)
        setup(work, args.nginx, hosts)
        try:
            times = {"gate": [], "naive": []}
            cpu = {"gate": [], "naive": []}
            runs = 0
            for repetition in range(args.repeat):
                order = ["gate", "naive"] if repetition % 2 == 0 else ["naive", "gate"]
                for name in order:
                    seconds, proc = play(work, name + ".yml", hosts, versions[runs % 2], env)
                    runs += 1
                    if proc.returncode != 0:
                        raise SystemExit("%s failed on %d hosts:\n%s\n%s" % (name, hosts, proc.stdout[-3000:],
                                                                             proc.stderr[-3000:]))
                    times[name].append(seconds)
                    cpu[name].append(proc.cpu_seconds)
            results["hosts"][hosts] = {name: {"median": statistics.median(v), "min": min(v), "max": max(v),
                                              "runs": len(v), "cpu_seconds": statistics.median(cpu[name])}
                                       for name, v in times.items()}
            medians = results["hosts"][hosts]
            print("%3d hosts: gate %.2fs  naive %.2fs" % (hosts, medians["gate"]["median"], medians["naive"]["median"]),
                  flush=True)
            if hosts == 1 and args.rollbacks:
                durations = []
                for _attempt in range(args.rollbacks):
                    # A dead backend the probe and the preview would stop before the switch: with both
                    # off, it goes live and fails its health check, which is the rollback measured here.
                    _seconds, proc = play(work, "gate.yml", 1, "127.0.0.1:%d" % (BASE_PORT + 999), env,
                                          extra={"gate_probe_backends": False, "gate_preview": False})
                    match = re.search(r"rollback took ([0-9.]+) s", proc.stdout + proc.stderr)
                    if proc.returncode == 0 or not match:
                        raise SystemExit("the rollback run did not roll back:\n%s" % proc.stdout[-3000:])
                    durations.append(float(match.group(1)))
                results["rollback"] = {"median": statistics.median(durations), "min": min(durations),
                                       "max": max(durations), "runs": len(durations)}
                print("rollback: %.2fs (failed health check -> old config healthy)" % results["rollback"]["median"],
                      flush=True)
        finally:
            stop_all(work)
    with open(args.output, "w") as handle:
        json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
