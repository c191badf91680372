"""The monitor's six checks on a real nginx: each fault made by hand, seen in the metrics and the log.

The monitor runs in this process (module_utils/host/monitor.py, as the timer's entry point runs it),
against an nginx started here on loopback, with real curl and real /proc.
"""

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils.host import deploy, monitor, transaction
from tests.conftest import nginx_binary
from tests.functional.test_http_check import free_port

SITE = """upstream shop {
    server 127.0.0.1:%(backend)d;
}
server {
    listen 127.0.0.1:%(port)d;
    location / { return 200 "ok\\n"; }
    location /shop { proxy_pass http://shop; }
}
"""


class Backend:
    """A TCP socket that takes connections (the kernel completes them from the backlog)."""

    def __init__(self, backlog=64):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


@pytest.fixture
def live(tmp_path, nginx):
    """nginx with one site (sites-available/shop, linked from sites-enabled) whose upstream runs."""
    conf = tmp_path / "nginx"
    for folder in ("logs", "sites-available", "sites-enabled", "conf.d"):
        (conf / folder).mkdir(parents=True)
    backend = Backend()
    port = free_port()
    main = conf / "nginx.conf"
    main.write_text("pid %s/nginx.pid;\nerror_log %s/logs/error.log;\nevents { worker_connections 16; }\n"
                    "http {\n    access_log off;\n    include %s/conf.d/*.conf;\n    include %s/sites-enabled/*;\n}\n"
                    % (conf, conf, conf, conf))
    site = conf / "sites-available" / "shop"
    site.write_text(SITE % {"backend": backend.port, "port": port})
    os.symlink(str(site), str(conf / "sites-enabled" / "shop"))
    subprocess.run([nginx, "-c", str(main), "-p", str(conf) + "/"], check=True)
    values = {"dir": conf, "main": main, "port": port, "site": site, "backend": backend, "nginx": nginx,
              "tmp": tmp_path}
    yield values
    subprocess.run([nginx_binary(), "-c", str(main), "-p", str(conf) + "/", "-s", "quit"], check=False)
    backend.close()


def settings(live, **options):
    values = {"textfile": str(live["tmp"] / "textfile" / "monitor.prom"), "state_dir": str(live["tmp"] / "state"),
              "nginx_binary": live["nginx"], "nginx_config": str(live["main"]), "nginx_prefix": str(live["dir"]),
              "backup_dir": str(live["tmp"] / "backups"), "interval": 20, "probe_timeout": 1.0,
              "checks": [{"name": "home", "url": "http://127.0.0.1:%d/" % live["port"], "timeout": 3}]}
    values.update(options)
    for key in ("textfile",):
        os.makedirs(os.path.dirname(values[key]), exist_ok=True)
    os.makedirs(values["state_dir"], exist_ok=True)
    return monitor.Settings.from_dict(values)


def run(live, capsys, **options):
    """One run; returns (metrics text, log lines)."""
    config = settings(live, **options)
    monitor.run_once(config)
    log = capsys.readouterr().err.splitlines()
    with open(config.textfile) as handle:
        return handle.read(), log


def sample(text, name, **labels):
    """The value of one sample in the textfile (None when absent)."""
    wanted = ",".join('%s="%s"' % item for item in sorted(labels.items()))
    head = "preflight_nginx_%s%s " % (name, "{%s}" % wanted if wanted else "")
    for line in text.splitlines():
        if line.startswith(head):
            return float(line[len(head):])
    return None


def reload(live):
    subprocess.run([live["nginx"], "-c", str(live["main"]), "-p", str(live["dir"]) + "/", "-s", "reload"],
                   check=True)
    time.sleep(0.5)


def test_healthy_host_is_quiet(live, capsys):
    text, log = run(live, capsys)
    assert sample(text, "config_findings", rule="unspecified-connect-address", level="error") == 0
    assert sample(text, "upstream_members_up", upstream="shop") == 1
    assert sample(text, "listen_held", socket="127.0.0.1:%d" % live["port"]) == 1
    assert sample(text, "check_up", check="home", url="http://127.0.0.1:%d/" % live["port"]) == 1
    assert all(sample(text, "monitor_check_ok", check=name) == 1 for name in monitor.CHECKS)
    assert log == []  # nothing changed state: nothing to say


def test_config_new_error_finding_is_logged_with_file_line_and_rule(live, capsys):
    run(live, capsys)
    live["site"].write_text(live["site"].read_text().replace("server 127.0.0.1:%d;" % live["backend"].port,
                                                             "server 0:80;"))
    text, log = run(live, capsys)
    assert sample(text, "config_findings", rule="unspecified-connect-address", level="error") == 1
    line = [x for x in log if "unspecified-connect-address" in x]
    link = live["dir"] / "sites-enabled" / "shop"  # nginx reads the site through its link
    assert len(line) == 1 and line[0].startswith("preflight-nginx-monitor: finding unknown -> error: %s:2: "
                                                 "error[unspecified-connect-address] " % link), log
    # The same finding next run is no news; fixing it is.
    text, log = run(live, capsys)
    assert not [x for x in log if "unspecified-connect-address" in x]
    live["site"].write_text(SITE % {"backend": live["backend"].port, "port": live["port"]})
    text, log = run(live, capsys)
    assert sample(text, "config_findings", rule="unspecified-connect-address", level="error") == 0
    assert [x for x in log if "unspecified-connect-address" in x and "finding error -> gone" in x]


def test_config_falls_back_to_the_files_when_nginx_T_fails(live, capsys):
    live["site"].write_text(live["site"].read_text() + "server {\n    listen 127.0.0.1:1;\n")
    text, log = run(live, capsys)
    assert sample(text, "config_nginx_dump_ok") == 0
    assert sample(text, "config_findings", rule="syntax-error", level="error") == 1
    assert any("config unknown -> failed: nginx -T" in x and "reading %s instead" % live["main"] in x for x in log), log
    assert sample(text, "check_up", check="home", url="http://127.0.0.1:%d/" % live["port"]) == 1


def test_an_unreadable_included_file_is_a_finding_and_a_line(live, capsys):
    (live["dir"] / "conf.d" / "broken.conf").mkdir()  # a glob include matches it; nobody can read it as a file
    text, log = run(live, capsys)
    assert sample(text, "config_nginx_dump_ok") == 0
    assert sample(text, "config_findings", rule="include-error", level="error") == 1
    assert any(x.startswith("preflight-nginx-monitor: finding unknown -> error: ") and "broken.conf" in x
               for x in log), log
    assert "Traceback" not in "\n".join(log)
    assert sample(text, "upstream_members_up", upstream="shop") == 1  # the rest of the tree is still watched
    assert sample(text, "check_up", check="home", url="http://127.0.0.1:%d/" % live["port"]) == 1


def test_nginx_missing_is_a_metric_and_a_line_and_the_rest_runs(live, capsys, tmp_path):
    text, log = run(live, capsys, nginx_binary=str(tmp_path / "no-nginx"))
    assert sample(text, "config_nginx_dump_ok") == 0
    assert any("not found" in x for x in log), log
    assert "Traceback" not in "\n".join(log)
    assert sample(text, "monitor_check_ok", check="env") == 1
    assert sample(text, "check_up", check="home", url="http://127.0.0.1:%d/" % live["port"]) == 1


def test_unreadable_config_fails_the_config_check_only(live, capsys, tmp_path):
    text, log = run(live, capsys, nginx_binary=str(tmp_path / "no-nginx"), nginx_config=str(tmp_path / "gone.conf"))
    assert sample(text, "monitor_check_ok", check="config") == 0
    assert sample(text, "monitor_check_ok", check="backends") == 0
    assert sample(text, "monitor_check_ok", check="http") == 1
    assert any("check unknown -> failed: config check could not run" in x and "gone.conf" in x for x in log), log
    assert "Traceback" not in "\n".join(log)


def test_backend_all_members_refusing_is_down_partial_is_partial(live, capsys):
    second = Backend()
    try:
        live["site"].write_text(live["site"].read_text().replace(
            "    server 127.0.0.1:%d;\n" % live["backend"].port,
            "    server 127.0.0.1:%d;\n    server 127.0.0.1:%d;\n" % (live["backend"].port, second.port)))
        reload(live)
        text, log = run(live, capsys)
        assert sample(text, "upstream_members_up", upstream="shop") == 2
        second.close()
        text, log = run(live, capsys)
        assert sample(text, "upstream_members_up", upstream="shop") == 1
        assert sample(text, "upstream_members", upstream="shop") == 2
        assert sample(text, "backend_up", upstream="shop", member="127.0.0.1:%d" % second.port) == 0
        assert any("upstream ok -> partial: upstream shop: 1 of 2 members down" in x for x in log), log
        live["backend"].close()
        text, log = run(live, capsys)
        assert sample(text, "upstream_members_up", upstream="shop") == 0
        assert sample(text, "upstream_used", upstream="shop") == 1
        down = [x for x in log if "upstream partial -> down: upstream shop: every member refuses" in x]
        assert down and "every member refuses" in down[0] and "connection refused" in down[0], log
    finally:
        second.close()


def test_listen_socket_lost_or_taken_by_another_process(live, capsys):
    text, log = run(live, capsys)
    other = free_port()
    # A listen added to the file but never loaded (a reload nobody ran, or one that failed): nobody holds it.
    live["site"].write_text(live["site"].read_text().replace(
        "listen 127.0.0.1:%d;" % live["port"],
        "listen 127.0.0.1:%d;\n    listen 127.0.0.1:%d;" % (live["port"], other)))
    text, log = run(live, capsys)
    assert sample(text, "listen_held", socket="127.0.0.1:%d" % other) == 0
    assert sample(text, "listen_foreign", socket="127.0.0.1:%d" % other) == 0
    assert any("listen unknown -> missing: nobody listens on 127.0.0.1:%d" % other in x for x in log), log
    # Another program takes the port: held, but not by nginx.
    program = ("import socket, time\ns = socket.socket()\ns.bind(('127.0.0.1', %d))\ns.listen()\n"
               "print('up', flush=True)\ntime.sleep(60)" % other)
    squatter = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, text=True)
    try:
        assert squatter.stdout.readline().strip() == "up"
        text, log = run(live, capsys)
        assert sample(text, "listen_foreign", socket="127.0.0.1:%d" % other) == 1
        line = [x for x in log if "listen missing -> foreign: 127.0.0.1:%d is held by" % other in x]
        assert line and "python" in line[0] and "pid %d" % squatter.pid in line[0], log
    finally:
        squatter.kill()
        squatter.wait()


def test_drift_a_hand_edit_after_the_gate_is_reported_with_its_findings(live, capsys):
    backups = live["tmp"] / "backups"
    spare = "upstream spare {\n    server 127.0.0.1:9;\n}\n"  # unused: an info finding the gate lets through
    new = SITE % {"backend": live["backend"].port, "port": live["port"]}
    result = deploy.run(deploy.Settings(
        files=[{"dest": str(live["site"]), "content": new + spare}], config=str(live["main"]),
        prefix=str(live["dir"]), nginx_binary=live["nginx"], probe_backends="none", reload_method="signal",
        backup_dir=str(backups), health_checks=[]), deploy.subprocess_runner)
    assert result.get("changed") and not result.get("failed"), result
    assert transaction.committed_files(str(backups))[str(live["site"])] is not None
    text, log = run(live, capsys)
    assert sample(text, "drift_files") == 0
    # The hand edit moves the spare upstream to the top (its finding moves with it) and brings 0:80.
    live["site"].write_text(spare + new.replace("server 127.0.0.1:%d;" % live["backend"].port, "server 0:80;"))
    text, log = run(live, capsys)
    assert sample(text, "drift_files") == 1
    assert sample(text, "drift_findings") == 1
    line = [x for x in log if x.startswith("preflight-nginx-monitor: drift unknown -> drifted: ")]
    assert line and "%s was changed outside the gate" % live["site"] in line[0], log
    assert "sites-enabled/shop:5 error[unspecified-connect-address]" in line[0]
    assert "unused-upstream" not in line[0]  # it was there when the gate deployed the file: not brought


def test_env_file_bad_endpoint_and_malformed_file(live, capsys):
    good = live["tmp"] / "shop.env"
    good.write_text("LISTEN_ADDR=0.0.0.0:8080\nPAYMENT_URL=http://127.0.0.1:9000/\n")
    broken = live["tmp"] / "broken.env"
    broken.write_text("OK=1\nthis is not an assignment\n")
    text, log = run(live, capsys, env_files=[str(good), str(broken), str(live["tmp"] / "missing.env")])
    assert sample(text, "env_findings", level="error") == 0
    assert sample(text, "env_files_unreadable") == 2
    assert any("env-file unknown -> unreadable: %s:2: expected KEY=value" % broken in x for x in log), log
    assert any("missing.env" in x and "cannot read" in x for x in log), log
    good.write_text("LISTEN_ADDR=0.0.0.0:8080\nPAYMENT_URL=http://0:9000/\n")
    text, log = run(live, capsys, env_files=[str(good), str(broken), str(live["tmp"] / "missing.env")])
    assert sample(text, "env_findings", level="error") == 1
    start = "preflight-nginx-monitor: env unknown -> error: %s:2: error[" % good
    line = [x for x in log if x.startswith(start) and "PAYMENT_URL" in x]
    assert line and "0.0.0.0" in line[0], log
    assert sample(text, "monitor_check_ok", check="config") == 1


def test_env_commands_in_units_and_crontabs_are_judged(live, capsys):
    """The places where curl commands live: a unit's Environment= and ExecStart=, a crontab line."""
    unit = live["tmp"] / "warm.service"
    unit.write_text("[Service]\nEnvironment=LISTEN_HOST=0.0.0.0\nExecStart=/usr/bin/curl -fsS http://127.0.0.1:8080/\n")
    cron = live["tmp"] / "cron.d"
    cron.mkdir()
    (cron / "warm").write_text("*/5 * * * * root curl -fsS http://127.0.0.1:8080/warm\n")
    text, log = run(live, capsys, scan_paths=[str(unit), str(cron)])
    assert sample(text, "env_findings", level="error") == 0
    assert sample(text, "env_files_scanned") == 2
    unit.write_text(unit.read_text().replace("http://127.0.0.1:8080/", "http://0:8080/"))
    (cron / "warm").write_text("*/5 * * * * root curl -fsS http://127.0.0.1:0/warm\n")
    text, log = run(live, capsys, scan_paths=[str(unit), str(cron)])
    assert sample(text, "env_findings", level="error") == 2
    lines = [x for x in log if x.startswith("preflight-nginx-monitor: env unknown -> error: ")]
    assert any("%s:3: error[" % unit in x and "] ExecStart=: curl" in x and "unspecified address" in x
               for x in lines), log
    assert any("%s:1:" % (cron / "warm") in x and "port" in x for x in lines), log


def test_http_check_down_and_alert_command_gets_the_change(live, capsys, tmp_path):
    record = tmp_path / "alerts.jsonl"
    command = [sys.executable, "-c", "import json,os\nopen(%r,'a').write(json.dumps({k: v for k, v in "
               "os.environ.items() if k.startswith('PREFLIGHT_')})+'\\n')" % str(record)]
    checks = [{"name": "teapot", "url": "http://127.0.0.1:%d/" % live["port"], "status": [418], "timeout": 3}]
    text, log = run(live, capsys, checks=checks, alert_command=command)
    assert sample(text, "check_up", check="teapot", url=checks[0]["url"]) == 0
    assert any("http unknown -> down: check teapot" in x for x in log), log
    alerts = [json.loads(x) for x in record.read_text().splitlines()]
    assert [a["PREFLIGHT_CHECK"] for a in alerts] == ["teapot"]
    assert alerts[0]["PREFLIGHT_STATE"] == "down" and alerts[0]["PREFLIGHT_URL"] == checks[0]["url"]
    # A config finding reaches the command with its file, line and rule.
    live["site"].write_text(live["site"].read_text().replace("proxy_pass http://shop;", "proxy_pass http://0:8082;"))
    run(live, capsys, checks=checks, alert_command=command)
    alerts = [json.loads(x) for x in record.read_text().splitlines()]
    finding = [a for a in alerts if a.get("PREFLIGHT_RULE") == "unspecified-connect-address"]
    assert finding and finding[0]["PREFLIGHT_FILE"] == str(live["dir"] / "sites-enabled" / "shop")
    assert finding[0]["PREFLIGHT_LINE"] == "7"


class Hanging:
    """A socket that never answers: its accept queue is full (listen(0) plus one connection nobody
    accepts), so a new connection's SYN is dropped and connect() waits until it gives up."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
        self.port = self.sock.getsockname()[1]
        self.filler = socket.create_connection(("127.0.0.1", self.port), timeout=2)

    def close(self):
        self.filler.close()
        self.sock.close()


def test_run_stays_within_budget_with_500_members_and_10_hanging(live, capsys):
    up = [Backend(backlog=4) for _index in range(245)]
    refused = [socket.socket() for _index in range(245)]  # bound, not listening: connections are refused
    for sock in refused:
        sock.bind(("127.0.0.1", 0))
    hanging = [Hanging() for _index in range(10)]
    try:
        members = ["127.0.0.1:%d" % b.port for b in up] + ["127.0.0.1:%d" % s.getsockname()[1] for s in refused] + \
                  ["127.0.0.1:%d" % h.port for h in hanging]
        (live["dir"] / "conf.d" / "big.conf").write_text(
            "upstream big {\n%s}\nserver {\n    listen 127.0.0.1:%d;\n    location / { proxy_pass http://big; }\n}\n"
            % ("".join("    server %s;\n" % m for m in members), free_port()))
        started = time.monotonic()
        # Probes that would wait 60 s each, in a run whose interval is 5 s (budget: 4 s).
        text, log = run(live, capsys, interval=5, probe_timeout=60, probe_concurrency=32,
                        enabled=["config", "backends"])
        elapsed = time.monotonic() - started
        assert elapsed < 5, elapsed
        assert sample(text, "backend_probes_cut_short") == 10
        assert sample(text, "upstream_members", upstream="big") == 490
        assert sample(text, "upstream_members_up", upstream="big") == 245
        cut = [x for x in log if x.startswith("preflight-nginx-monitor: backends unknown -> cut-short: 10 probes")]
        assert cut, log
        assert all("127.0.0.1:%d" % h.port in cut[0] for h in hanging)
        assert not any("127.0.0.1:%d" % b.port in cut[0] for b in up)
        assert sample(text, "monitor_run_duration_seconds") < 5
    finally:
        for item in up + hanging + refused:
            item.close()


def test_unchanged_config_is_not_parsed_again(live, capsys, monkeypatch):
    text, _log = run(live, capsys)
    assert sample(text, "config_cache_hit") == 0
    calls = []
    original = monitor.nginx_dump
    monkeypatch.setattr(monitor, "nginx_dump", lambda *a, **k: calls.append(1) or original(*a, **k))
    text, _log = run(live, capsys)
    assert sample(text, "config_cache_hit") == 1 and calls == []
    assert sample(text, "upstream_members_up", upstream="shop") == 1  # the checks run on the cached summary
    live["site"].write_text(live["site"].read_text() + "# a comment changes the content\n")
    text, _log = run(live, capsys)
    assert sample(text, "config_cache_hit") == 0 and calls == [1]
    # A new file where an include looks is a change too, though no file read before changed.
    text, _log = run(live, capsys)
    assert sample(text, "config_cache_hit") == 1 and calls == [1]
    (live["dir"] / "conf.d" / "new.conf").write_text("upstream spare { server 0:80; }\n")
    text, _log = run(live, capsys)
    assert sample(text, "config_cache_hit") == 0 and calls == [1, 1]
    assert sample(text, "config_findings", rule="unspecified-connect-address", level="error") == 1


def test_the_installed_program_runs_on_debians_python_with_the_shipped_zip(live, tmp_path):
    """What the timer starts: the role's entry point and engine zip, on /usr/bin/python3 without crossplane."""
    from tests.conftest import ROOT

    python = "/usr/bin/python3"
    if not os.access(python, os.X_OK):
        pytest.skip("no /usr/bin/python3")
    install = tmp_path / "install"
    (install / "bin").mkdir(parents=True)
    (install / "lib").mkdir()
    program = install / "bin" / "preflight-nginx-monitor"
    with open(os.path.join(ROOT, "roles", "monitor", "files", "preflight_nginx_monitor.py"), "rb") as handle:
        program.write_bytes(handle.read())
    subprocess.run([sys.executable, ROOT + "/roles/monitor/files/pack_engine.py", ROOT,
                    str(install / "lib" / "preflight-nginx-engine.zip")], check=True)
    config = settings(live)
    path = tmp_path / "monitor.json"
    path.write_text(json.dumps({key: value for key, value in vars(config).items() if key != "budget"}))
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}  # no venv, no PYTHONPATH: nothing but what the role ships
    proc = subprocess.run([python, str(program), "--config", str(path)], capture_output=True, text=True, env=env,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    live["site"].write_text(live["site"].read_text().replace("server 127.0.0.1:%d;" % live["backend"].port,
                                                             "server 0:80;"))
    proc = subprocess.run([python, str(program), "--config", str(path)], capture_output=True, text=True, env=env,
                          check=False)
    assert proc.returncode == 1
    assert "finding unknown -> error: " in proc.stderr and "unspecified-connect-address" in proc.stderr
    path.write_text('{"textfile": "/tmp/x.prom", "state_dir": "/tmp", "bogus": 1}')
    proc = subprocess.run([python, str(program), "--config", str(path)], capture_output=True, text=True, env=env,
                          check=False)
    assert proc.returncode == 2 and "unknown setting: bogus" in proc.stderr and "Traceback" not in proc.stderr
