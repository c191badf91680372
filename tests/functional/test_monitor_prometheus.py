"""The monitor's metrics and alerts the ecosystem's way, with Debian's promtool, node-exporter and prometheus.

- the shipped alerting rules pass ``promtool check rules`` and their unit tests (``promtool test rules``);
- what the monitor writes passes ``promtool check metrics``, with no label that grows with time;
- end to end: node-exporter's textfile collector and prometheus (started here on loopback, 1 s intervals)
  scrape the monitor's file; ``server 0:80`` written into a live site by hand fires the shipped alert
  (``ALERTS`` in prometheus' HTTP API), and fixing it resolves it.
"""

import json
import os
import re
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils.host import monitor
from tests.conftest import ROOT
from tests.functional import test_monitor
from tests.functional.test_http_check import free_port
from tests.functional.test_monitor import SITE, settings

live = test_monitor.live  # the fixture: nginx with one site, started for each test

RULES = os.path.join(ROOT, "roles", "monitor", "files", "preflight_nginx_alerts.yml")
RULE_TESTS = os.path.join(ROOT, "tests", "prometheus", "alerts_test.yml")


def test_shipped_rules_pass_promtool_and_their_unit_tests(prometheus_tools):
    check = subprocess.run([prometheus_tools["promtool"], "check", "rules", RULES], capture_output=True, text=True,
                           check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 14 rules found" in check.stdout
    tests = subprocess.run([prometheus_tools["promtool"], "test", "rules", RULE_TESTS], capture_output=True,
                           text=True, check=False)
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_every_metric_is_documented_and_alerted_on():
    """The README's table lists every metric the monitor writes; every alert uses metrics that exist."""
    with open(os.path.join(ROOT, "README.md")) as handle:
        readme = handle.read()
    with open(os.path.join(ROOT, "plugins", "module_utils", "host", "monitor.py")) as handle:
        source = handle.read()
    written = set(re.findall(r'metrics\.add\(\s*"([a-z_]+)"', source)) | {m for m, _h in monitor.CHECK_METRICS}
    assert len(written) > 20
    undocumented = sorted(m for m in written if "`preflight_nginx_%s`" % m not in readme)
    assert not undocumented
    with open(RULES) as handle:
        used = set(re.findall(r"preflight_nginx_([a-z_]+)", handle.read()))
    assert used <= written, used - written


def test_metrics_of_a_faulty_host_pass_promtool_check_metrics(live, capsys, prometheus_tools, tmp_path):
    env = tmp_path / "app.env"
    env.write_text("BACKEND_URL=http://0:8080\nnot an assignment\n")
    text = live["site"].read_text().replace("server 127.0.0.1:", "server 0:80;\n    server 127.0.0.1:")
    listen = "listen 127.0.0.1:%d;" % live["port"]
    live["site"].write_text(text.replace(listen, "%s\n    listen 127.0.0.1:%d;" % (listen, free_port())))
    dead = {"name": "home", "url": "http://127.0.0.1:%d/x" % free_port(), "timeout": 1}
    config = settings(live, env_files=[str(env)], checks=[dead])
    monitor.run_once(config)
    capsys.readouterr()
    with open(config.textfile, "rb") as handle:
        text = handle.read()
    proc = subprocess.run([prometheus_tools["promtool"], "check", "metrics"], input=text, capture_output=True,
                          check=False)
    assert proc.returncode == 0 and not proc.stdout.strip() and not proc.stderr.strip(), proc.stdout + proc.stderr
    # Labels are bounded by the configuration (rules, upstreams, sockets, checks), never by files and lines.
    labels = set(re.findall(rb'([a-z_]+)="', text))
    assert labels <= {b"rule", b"level", b"upstream", b"member", b"socket", b"check", b"url"}, labels
    assert str(live["dir"]).encode() not in text


def _get(port, path, **params):
    url = "http://127.0.0.1:%d%s?%s" % (port, path, urllib.parse.urlencode(params))
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.loads(answer.read())


def _wait(condition, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.5)
    pytest.fail("timed out after %ds waiting for %s" % (timeout, what))


def _firing(port, alertname):
    result = _get(port, "/api/v1/query", query='ALERTS{alertname="%s",alertstate="firing"}' % alertname)
    return result["data"]["result"]


@pytest.fixture
def scrapers(tmp_path, prometheus_tools, live):
    """node-exporter (textfile collector only) and prometheus, both on free loopback ports."""
    textfile = tmp_path / "textfile"
    textfile.mkdir(exist_ok=True)
    exporter_port, prometheus_port = free_port(), free_port()
    exporter = subprocess.Popen([prometheus_tools["prometheus-node-exporter"],
                                 "--web.listen-address=127.0.0.1:%d" % exporter_port,
                                 "--collector.disable-defaults", "--collector.textfile",
                                 "--collector.textfile.directory=%s" % textfile],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(RULES) as handle:
        rules = handle.read()
    # The shipped expressions unchanged; only the for: durations shortened for a test that takes seconds.
    (tmp_path / "rules.yml").write_text(re.sub(r"(?m)^(\s+for: )\S+$", r"\g<1>0s", rules))
    (tmp_path / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [%s]\n"
        "scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n"
        % (tmp_path / "rules.yml", exporter_port))
    server = subprocess.Popen([prometheus_tools["prometheus"], "--config.file=%s" % (tmp_path / "prometheus.yml"),
                               "--storage.tsdb.path=%s" % (tmp_path / "data"),
                               "--web.listen-address=127.0.0.1:%d" % prometheus_port],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: _get(prometheus_port, "/api/v1/query", query="up")["data"]["result"], "prometheus to scrape")
        yield {"textfile": textfile, "prometheus": prometheus_port}
    finally:
        for process in (server, exporter):
            process.terminate()
        for process in (server, exporter):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_end_to_end_a_hand_edit_fires_the_shipped_alert_and_the_fix_resolves_it(live, scrapers, capsys):
    config = settings(live, textfile=str(scrapers["textfile"] / "preflight-nginx-monitor.prom"))
    port = scrapers["prometheus"]
    monitor.run_once(config)
    _wait(lambda: _get(port, "/api/v1/query", query="preflight_nginx_check_up")["data"]["result"],
          "the monitor's metrics in prometheus")
    assert not _firing(port, "PreflightNginxConfigError")
    live["site"].write_text(live["site"].read_text().replace("server 127.0.0.1:%d;" % live["backend"].port,
                                                             "server 0:80;"))
    monitor.run_once(config)
    alerts = _wait(lambda: _firing(port, "PreflightNginxConfigError"), "PreflightNginxConfigError to fire")
    assert alerts[0]["metric"]["rule"] == "unspecified-connect-address"
    assert alerts[0]["metric"]["severity"] == "critical"
    assert any("finding unknown -> error" in line for line in capsys.readouterr().err.splitlines())
    live["site"].write_text(SITE % {"backend": live["backend"].port, "port": live["port"]})
    monitor.run_once(config)
    _wait(lambda: not _firing(port, "PreflightNginxConfigError"), "PreflightNginxConfigError to resolve")
