"""Targets need Python, nginx and curl, nothing else: the modules run on Debian's own
/usr/bin/python3, which has no crossplane, because the action plugins ship the controller's."""

import os
import subprocess

import pytest

from tests.functional.test_ansible import playbook

SYSTEM_PYTHON = "/usr/bin/python3"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def bare_python():
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        if os.environ.get("PREFLIGHT_REQUIRE_NGINX") == "1":
            pytest.fail("%s is required (bootstrap installs Debian's python3)" % SYSTEM_PYTHON)
        pytest.skip("no %s" % SYSTEM_PYTHON)
    proc = subprocess.run([SYSTEM_PYTHON, "-c", "import crossplane"], capture_output=True, check=False)
    assert proc.returncode != 0, "this test needs a Python without crossplane"
    return SYSTEM_PYTHON


def test_modules_run_on_a_python_without_crossplane(tmp_path, ansible_env, bare_python):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "site.conf.j2").write_text(
        "server {\n    listen 127.0.0.1:{{ site_port }};\n    location / { proxy_pass http://{{ backend }}; }\n}\n")
    live = tmp_path / "live"
    (live / "conf.d").mkdir(parents=True)
    (live / "nginx.conf").write_text("events {}\nhttp {\n    include conf.d/*.conf;\n}\n")
    tasks = """
    - name: The incident, found on a bare target
      preflight.nginx.validate:
        path: %(root)s/examples/incident/broken/nginx.conf
        nginx_test: false
      ignore_errors: true
    - name: Facts from a bare target
      preflight.nginx.config_info:
        path: %(root)s/examples/incident/fixed/nginx.conf
    - name: A deploy whose file renders on the controller, judged in check mode
      preflight.nginx.nginx_deploy:
        files:
          - src: %(tmp)s/templates/site.conf.j2
            dest: %(live)s/conf.d/site.conf
        config: %(live)s/nginx.conf
        nginx_test: false
        probe_backends: none
        backup_dir: %(tmp)s/backups
      vars:
        site_port: 8089
        backend: "0:8082"
      check_mode: true
      ignore_errors: true
""" % {"root": ROOT, "tmp": tmp_path, "live": live}
    env = dict(ansible_env, ANSIBLE_PYTHON_INTERPRETER=bare_python)
    rc, results = playbook(tmp_path, env, tasks)
    assert rc == 0, results
    assert [(f["line"], f["rule"]) for f in results[0]["findings"]] == [
        (3, "unspecified-connect-address"), (15, "unspecified-connect-address")]
    assert results[1]["upstreams"][0]["servers"][0]["display"] == "127.0.0.1:8081"
    assert results[2]["failed"] and "conf.d/site.conf:3: error[unspecified-connect-address]" in results[2]["msg"]
    assert not (live / "conf.d" / "site.conf").exists()
    leftovers = subprocess.run(["find", "/tmp", "-maxdepth", "2", "-name", "preflight-nginx-libraries.zip"],
                               capture_output=True, text=True, check=False).stdout
    assert leftovers == ""
