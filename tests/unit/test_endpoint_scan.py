"""The scan API (endpoint_scan.scan, host_paths): the incident in each kind of file, bad input, bind intent."""

import os

from ansible_collections.preflight.nginx.plugins.module_utils import endpoint_scan


def write(root, path, text, mode=None):
    full = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb" if isinstance(text, bytes) else "w") as handle:
        handle.write(text)
    return full


def places(result, rule="unspecified-connect-address"):
    return sorted((f.file, f.line) for f in result.findings if f.rule == rule and f.severity == "error")


def test_host_paths_and_a_host_layout_under_a_root(tmp_path):
    write(tmp_path, "/etc/crontab", "SHELL=/bin/sh\n17 * * * * root cd / && run-parts /etc/cron.hourly\n")
    write(tmp_path, "/etc/cron.d/health", "# check\n*/5 * * * * root curl -fsS http://0:80/health\n")
    write(tmp_path, "/var/spool/cron/crontabs/deploy", "@hourly curl -fsS http://0:80/health >/dev/null\n")
    write(tmp_path, "/etc/systemd/system/probe.service",
          "[Unit]\nDescription=probe\n[Service]\nEnvironmentFile=-/etc/default/probe\n"
          "ExecStart=/usr/bin/curl -fsS ${BACKEND}/health\n")
    write(tmp_path, "/etc/default/probe", "BACKEND=http://0:80\n")
    paths = endpoint_scan.host_paths(str(tmp_path))
    assert "/etc/cron.d/health" in paths and "/var/spool/cron/crontabs/deploy" in paths
    result = endpoint_scan.scan(paths, root=str(tmp_path))
    assert places(result) == [("/etc/cron.d/health", 2), ("/etc/default/probe", 1),
                              ("/etc/systemd/system/probe.service", 5), ("/var/spool/cron/crontabs/deploy", 1)]
    assert result.errors == []


def test_the_fixed_versions_pass_and_bind_intent_is_silent(tmp_path):
    write(tmp_path, "cron/health.cron", "*/5 * * * * curl -fsS http://127.0.0.1:80/health\n")
    write(tmp_path, "app.service", "[Service]\nEnvironment=HOST=0.0.0.0 BACKEND=127.0.0.1:80\n"
          "ExecStart=/usr/bin/gunicorn -b 0.0.0.0:8000 app:app\nExecStartPost=/usr/bin/curl $BACKEND\n")
    write(tmp_path, "app.socket", "[Socket]\nListenStream=0.0.0.0:8080\n")
    write(tmp_path, "start.sh", "#!/bin/sh\nexport HOST=0.0.0.0\nexec uvicorn --host 0.0.0.0 app:app\n")
    result = endpoint_scan.scan([str(tmp_path)])
    assert result.findings == [] and result.errors == []
    assert len(result.files) == 4


def test_bad_input_is_named_and_the_scan_goes_on(tmp_path):
    write(tmp_path, "a/bin.sh", b"\x7fELF\0\0\0")
    write(tmp_path, "a/huge.sh", "#!/bin/sh\n" + "# pad\n" * (endpoint_scan.MAX_BYTES // 6 + 10))
    write(tmp_path, "a/broken.service", "[Service]\nthis is not a unit line\n")
    write(tmp_path, "a/z.sh", "#!/bin/sh\ncurl http://0:80/\n")
    result = endpoint_scan.scan([str(tmp_path / "a"), str(tmp_path / "missing")])
    messages = {os.path.basename(e["file"]): e["message"] for e in result.errors}
    assert "binary" in messages["bin.sh"] and "too large" in messages["huge.sh"]
    assert "broken.service:2" in messages["broken.service"] and "missing" in messages
    assert places(result) == [(str(tmp_path / "a" / "z.sh"), 2)]
