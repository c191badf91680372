"""preflight.nginx.endpoint_audit through real ansible-playbook, on a host layout under a temporary root,
run by Debian's own /usr/bin/python3 (targets need nothing new)."""

import os

from tests.functional import test_bare_target
from tests.functional.test_ansible import playbook

bare_python = test_bare_target.bare_python  # the fixture: Debian's /usr/bin/python3, without crossplane

INCIDENT = {
    "etc/cron.d/health": "# storefront health\n*/5 * * * * root curl -fsS http://0:80/health >/dev/null\n",
    "var/spool/cron/crontabs/deploy": "@hourly wget -qO- http://0:80/warm\n",
    "etc/systemd/system/probe.service": "[Unit]\nDescription=probe\n\n[Service]\nEnvironment=BACKEND=0:80\n"
                                        "ExecStart=/usr/bin/curl -fsS $BACKEND\n",
    "etc/systemd/system/app.service": "[Service]\nEnvironmentFile=-/etc/default/app\n"
                                      "ExecStart=/usr/bin/gunicorn -b 0.0.0.0:8000 app:app\n"
                                      "ExecStartPost=/bin/sh -c 'sleep 2; curl -fsS ${APP_URL}/health'\n",
    "etc/default/app": "HOST=0.0.0.0\nAPP_URL=http://0:8000\n",
    "etc/systemd/system/app.socket": "[Socket]\nListenStream=0.0.0.0:8080\n",
    "srv/shop/compose.yaml": "services:\n  web:\n    image: nginx\n    ports: [\"0.0.0.0:80:80\"]\n"
                             "    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://0:80/\"]\n",
    "etc/default/blob": b"\x00\x01binary",
}


def host(tmp_path, fixed=False):
    root = tmp_path / "host"
    for path, text in INCIDENT.items():
        full = root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            full.write_bytes(text)
        else:
            full.write_text(text.replace("0:80", "127.0.0.1:80").replace("0:8000", "127.0.0.1:8000")
                            if fixed else text)
    return root


def run(tmp_path, env, root, extra=""):
    tasks = """
    - name: Review the host
      preflight.nginx.endpoint_audit:
        root: %s
        paths: [/srv/shop]
%s      register: audit
      ignore_errors: true
""" % (root, extra)
    return playbook(tmp_path, env, tasks)


def test_the_incident_on_a_host_fails_at_each_file_and_line(tmp_path, ansible_env, bare_python):
    root = host(tmp_path)
    _rc, results = run(tmp_path, dict(ansible_env, ANSIBLE_PYTHON_INTERPRETER=bare_python), root)
    (result,) = results
    assert result["failed"], result
    places = sorted((f["file"], f["line"]) for f in result["findings"] if f["severity"] == "error")
    assert places == [("/etc/cron.d/health", 2), ("/etc/default/app", 2), ("/etc/systemd/system/app.service", 4),
                      ("/etc/systemd/system/probe.service", 5), ("/etc/systemd/system/probe.service", 6),
                      ("/srv/shop/compose.yaml", 6), ("/var/spool/cron/crontabs/deploy", 1)]
    assert "/etc/cron.d/health:2: error[unspecified-connect-address]" in result["msg"]
    # the binary file is named, and did not stop the review
    assert [e["file"] for e in result["errors"]] == ["/etc/default/blob"]
    kinds = {f["file"]: f["kind"] for f in result["files"]}
    assert kinds["/etc/systemd/system/app.socket"] == "systemd" and kinds["/srv/shop/compose.yaml"] == "compose"


def test_the_fixed_host_passes_and_binds_are_silent(tmp_path, ansible_env, bare_python):
    root = host(tmp_path, fixed=True)
    os.unlink(root / "etc" / "default" / "blob")
    _rc, results = run(tmp_path, dict(ansible_env, ANSIBLE_PYTHON_INTERPRETER=bare_python), root)
    (result,) = results
    assert not result.get("failed"), result
    assert result["findings"] == [] and result["errors"] == [] and len(result["files"]) == 7


def test_unreadable_input_can_fail_the_task(tmp_path, ansible_env):
    root = host(tmp_path, fixed=True)
    _rc, results = run(tmp_path, ansible_env, root, "        fail_on_unreadable: true\n")
    (result,) = results
    assert result["failed"] and "cannot review /etc/default/blob: binary file" in result["msg"]
