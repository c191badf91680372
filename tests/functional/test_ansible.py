"""The modules, filters and tests through real ansible-playbook."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def playbook(tmp_path, env, tasks, extra=()):
    book = tmp_path / "play.yml"
    book.write_text(
        "- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n" + tasks)
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", str(book), *extra],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        pytest.fail("no JSON from ansible-playbook:\n%s\n%s" % (proc.stdout, proc.stderr))
    return proc.returncode, data["results"]


def gate_role_tasks(files, config, prefix, nginx, backups, health_checks, **role_vars):
    """Tasks that run the gate role on a test nginx (signal reloads, no backend probe); ``role_vars``
    are more gate_* variables without the prefix (preview=False). JSON is YAML: no quoting to get wrong."""
    values = {"gate_files": files, "gate_config": str(config), "gate_prefix": str(prefix),
              "gate_nginx_binary": str(nginx), "gate_reload_method": "signal", "gate_probe_backends": False,
              "gate_backup_dir": str(backups), "gate_health_checks": health_checks}
    values.update(("gate_" + name, value) for name, value in role_vars.items())
    return "    - ansible.builtin.include_role:\n        name: preflight.nginx.gate\n      vars: %s\n" % (
        json.dumps(values, default=str))


def site_role_tasks(site, files, health_checks, **role_vars):
    """gate_role_tasks for the gate tests' ``site`` fixture (test_gate_faults.py)."""
    return gate_role_tasks(files, site["main"], site["dir"], site["nginx"], site["backups"], health_checks,
                           **role_vars)


def test_validate_fails_on_the_incident_with_file_and_line(tmp_path, ansible_env):
    tasks = """
    - preflight.nginx.validate:
        path: %s/examples/incident/broken/nginx.conf
        nginx_test: false
""" % ROOT
    rc, results = playbook(tmp_path, ansible_env, tasks)
    assert rc == 2
    result = results[0]
    assert result["failed"] and result["counts"]["error"] == 2
    assert "storefront.conf:3: error[unspecified-connect-address]" in result["msg"]
    assert [(f["rule"], f["line"]) for f in result["findings"]] == [
        ("unspecified-connect-address", 3), ("unspecified-connect-address", 15)]


def test_validate_passes_the_fix_and_runs_nginx_t(tmp_path, ansible_env, nginx):
    tasks = """
    - preflight.nginx.validate:
        path: %s/examples/incident/fixed/nginx.conf
        prefix: %s/examples/incident/fixed
        nginx_binary: %s
        fail_on: info
      check_mode: true
""" % (ROOT, ROOT, nginx)
    rc, results = playbook(tmp_path, ansible_env, tasks)
    assert rc == 0, results
    assert results[0]["findings"] == [] and results[0]["nginx_test"]["rc"] == 0
    assert len(results[0]["files"]) == 2 and results[0]["changed"] is False


def test_validate_rejects_bad_arguments_by_name(tmp_path, ansible_env):
    tasks = """
    - preflight.nginx.validate:
        path: %s/examples/incident/fixed/nginx.conf
        rules: [no-such-rule]
      ignore_errors: true
    - preflight.nginx.validate:
        path: /nonexistent/nginx.conf
      ignore_errors: true
    - preflight.nginx.validate:
        fail_on: sometimes
      ignore_errors: true
""" % ROOT
    rc, results = playbook(tmp_path, ansible_env, tasks)
    assert rc == 0
    assert results[0]["msg"].startswith("rules: unknown rule id: no-such-rule")
    assert results[1]["msg"].startswith("path: cannot read configuration file /nonexistent/nginx.conf")
    assert "fail_on" in results[2]["msg"]


def test_config_info(tmp_path, ansible_env):
    tasks = """
    - preflight.nginx.config_info:
        path: %s/examples/incident/broken/nginx.conf
""" % ROOT
    rc, results = playbook(tmp_path, ansible_env, tasks)
    assert rc == 0
    facts = results[0]
    assert [u["servers"][0]["display"] for u in facts["upstreams"]] == ["0.0.0.0:80"]
    assert [(t["value"], t["upstream"]) for t in facts["pass_targets"]] == [
        ("http://storefront", "storefront"), ("http://0:8082", None)]
    assert facts["listen"][0]["server_names"] == ["shop.example.com"]


def test_filters_and_tests(tmp_path, ansible_env):
    tasks = """
    - ansible.builtin.assert:
        that:
          - "'http://0:80' is not preflight.nginx.connectable"
          - "'http://127.0.0.1:8080/health' is preflight.nginx.connectable"
          - "('http://0:80' is preflight.nginx.connectable) is sameas false"
          - "('http://0:80' | preflight.nginx.endpoint_problems)[0].code == 'unspecified-connect-address'"
          - "'http://127.0.0.1:8080' | preflight.nginx.endpoint_problems == []"
          - "('0:8081' | preflight.nginx.parse_listen).display == '0.0.0.0:8081'"
          - "'0:8081' is not preflight.nginx.valid_listen"
          - "'[::]:443' is preflight.nginx.valid_listen"
          - "'127.0.0.1:5432' is not preflight.nginx.valid_listen('stream') or true"
          - "('http://127.1:8080' | preflight.nginx.parse_endpoint).address == '127.0.0.1'"
          - "(conf | preflight.nginx.check_config)[0].rule == 'unspecified-connect-address'"
          - "(conf | preflight.nginx.check_config)[0].line == 3"
          - "conf | preflight.nginx.check_config(['unspecified-connect-address']) | length == 0"
      vars:
        conf: "events {}\\nhttp {\\n  upstream a { server 0:80; }\\n
          server { location / { proxy_pass http://a; } }\\n}\\n"
    - ansible.builtin.debug:
        msg: "{{ 'x' | preflight.nginx.check_config(['bogus-rule']) }}"
      ignore_errors: true
"""
    rc, results = playbook(tmp_path, ansible_env, tasks)
    assert rc == 0, results
    assert "check_config: unknown rule id: bogus-rule" in results[1]["msg"]


def test_ansible_doc_works_for_every_plugin(ansible_env):
    doc = os.path.join(BIN, "ansible-doc")
    for kind, names in (("module", ["validate", "template", "config_info", "http_check", "config_transaction",
                                    "nginx_reload", "probe_backends", "env_check", "endpoint_audit"]),
                        ("filter", ["parse_listen", "parse_endpoint", "endpoint_problems", "check_config",
                                    "config_diff", "env_problems"]),
                        ("test", ["connectable", "valid_listen"]),
                        ("role", ["gate", "monitor"])):
        for name in names:
            proc = subprocess.run([doc, "-t", kind, "--json", "preflight.nginx." + name], env=ansible_env,
                                  capture_output=True, text=True, timeout=120, check=False)
            assert proc.returncode == 0, proc.stderr
            page = json.loads(proc.stdout)["preflight.nginx." + name]
            if kind == "role":
                assert page["entry_points"]["main"]["options"]
            else:
                assert page["doc"]["short_description"]


def test_env_check_module_and_filter(tmp_path, ansible_env):
    good = tmp_path / "good.env"
    good.write_text("# fine\nexport PAYMENT_URL=https://payments.internal/api\nLISTEN_ADDR=0.0.0.0:8080\n")
    bad = tmp_path / "bad.env"
    bad.write_text("APP_NAME=shop\nBACKEND_URL='http://0:8080'\nCACHE_PORT=80800\nMETRICS_PORT=0\nSMTP_HOST=\n")
    broken = tmp_path / "broken.env"
    broken.write_text("OK=1\nnot an assignment\n")
    tasks = """
    - preflight.nginx.env_check:
        paths: [%s]
        variables:
          SEARCH_HOST: search.internal:9200
    - preflight.nginx.env_check:
        paths: [%s]
      ignore_errors: true
    - preflight.nginx.env_check:
        paths: [%s]
      ignore_errors: true
    - ansible.builtin.assert:
        that:
          - "(bad_env | preflight.nginx.env_problems)[0].key == 'API_URL'"
          - "(bad_env | preflight.nginx.env_problems) | length == 1"
          - "(good_env | preflight.nginx.env_problems) == []"
          - "(odd_env | preflight.nginx.env_problems(select_all=true)) | length == 1"
      vars:
        bad_env: {API_URL: "http://[::]:80", NAME: "0"}
        good_env: {API_URL: "http://127.0.0.1:80"}
        odd_env: {x: "0:80"}
""" % (good, bad, broken)
    rc, results = playbook(tmp_path, ansible_env, tasks)
    assert rc == 0, results
    assert [r["key"] for r in results[0]["results"]] == ["PAYMENT_URL", "LISTEN_ADDR", "SEARCH_HOST"]
    assert results[0]["problems"] == []
    assert "%s:2: BACKEND_URL: \"0\" is the unspecified address" % bad in results[1]["msg"]
    assert "%s:3: CACHE_PORT=80800 is not a port" % bad in results[1]["msg"]
    assert "METRICS_PORT" not in results[1]["msg"] and "SMTP_HOST" not in results[1]["msg"]  # 0 is off; empty
    assert "BACKEND_URL: BACKEND_URL" not in results[1]["msg"]
    assert results[2]["msg"] == "malformed env file %s:2: expected KEY=value, got 'not an assignment'" % broken
