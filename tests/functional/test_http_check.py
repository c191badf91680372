"""http_check with the real curl against a real nginx started here, on loopback."""

import os
import socket
import subprocess
import time

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils.host import http_probe
from tests.functional.test_ansible import playbook


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """nginx on a free loopback port: / answers "hello", /slow after 2 s is not possible, /teapot 418."""
    from tests.conftest import nginx_binary

    binary = nginx_binary()
    if binary is None:
        if os.environ.get("PREFLIGHT_REQUIRE_NGINX") == "1":
            pytest.fail("nginx is required but not installed")
        pytest.skip("nginx is not installed")
    prefix = tmp_path_factory.mktemp("nginx")
    (prefix / "logs").mkdir()
    port = free_port()
    (prefix / "nginx.conf").write_text(
        "pid nginx.pid;\nerror_log logs/error.log;\nevents { worker_connections 16; }\nhttp {\n"
        "    access_log off;\n    server {\n        listen 127.0.0.1:%d;\n"
        "        location = / { return 200 \"hello\\n\"; }\n"
        "        location = /teapot { return 418 \"short and stout\\n\"; }\n"
        "        location = /auth { if ($http_x_token != \"s3cret\") { return 401; } return 200 \"ok\\n\"; }\n"
        "    }\n}\n" % port)
    subprocess.run([binary, "-c", str(prefix / "nginx.conf"), "-p", str(prefix) + "/"], check=True)
    for _attempt in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield "http://127.0.0.1:%d" % port
    subprocess.run([binary, "-c", str(prefix / "nginx.conf"), "-p", str(prefix) + "/", "-s", "quit"], check=False)


def execute(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def test_healthy(site):
    result = http_probe.run(http_probe.CheckSpec(site + "/", body_regex="^hello$"), execute)
    assert result["ok"] and result["status"] == 200 and result["attempts"] == 1
    assert result["remote_ip"] == "127.0.0.1" and result["timings"]["total"] > 0
    assert result["body_excerpt"] == "hello\n"


def test_wrong_status_and_body(site):
    result = http_probe.run(http_probe.CheckSpec(site + "/teapot"), execute)
    assert not result["ok"] and result["error"].endswith("answered 418, expected 200")
    result = http_probe.run(http_probe.CheckSpec(site + "/teapot", status=[418], body_regex="tall"), execute)
    assert not result["ok"] and "does not match" in result["error"]


def test_connection_refused_in_plain_words():
    port = free_port()
    spec = http_probe.CheckSpec("http://127.0.0.1:%d/" % port, retries=2, delay=0.05)
    result = http_probe.run(spec, execute)
    assert result["error"] == "connection refused to 127.0.0.1:%d" % port
    assert result["attempts"] == 3 and result["curl_exit"] == 7


def test_deadline_bounds_the_attempts():
    spec = http_probe.CheckSpec("http://127.0.0.1:%d/" % free_port(), deadline=0.5, delay=0.1)
    result = http_probe.run(spec, execute)
    assert not result["ok"] and 2 <= result["attempts"] <= 10


def test_the_deadline_bounds_curls_own_timeouts_against_a_hanging_server():
    hanging = socket.socket()  # accepts connections (the kernel's backlog) and never answers
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(8)
    try:
        spec = http_probe.CheckSpec("http://127.0.0.1:%d/" % hanging.getsockname()[1], deadline=1.5, timeout=5)
        started = time.monotonic()
        result = http_probe.run(spec, execute)
        took = time.monotonic() - started
    finally:
        hanging.close()
    assert not result["ok"] and took < 3.5, (took, result["error"])  # not curl's 5 s
    assert "the deadline of 1.5s is over" in result["error"] and "timed out after 5s" not in result["error"]


def test_resolve_sends_the_public_name_to_this_host(site):
    port = site.rsplit(":", 1)[1]
    spec = http_probe.CheckSpec("http://shop.example.com:%s/" % port, resolve=["shop.example.com:%s:127.0.0.1" % port])
    result = http_probe.run(spec, execute)
    assert result["ok"] and result["remote_ip"] == "127.0.0.1"


def test_the_module_judges_the_url_first_and_hides_header_values(tmp_path, ansible_env, site):
    tasks = """
    - preflight.nginx.http_check:
        url: http://0:80/
      ignore_errors: true
    - preflight.nginx.http_check:
        url: %s/auth
        headers:
          X-Token: s3cret
    - preflight.nginx.http_check:
        url: %s/auth
        headers:
          X-Token: wrong-value
      ignore_errors: true
    - preflight.nginx.http_check:
        url: %s/
      check_mode: true
""" % (site, site, site)
    rc, results = playbook(tmp_path, ansible_env, tasks)
    assert rc == 0
    assert results[0]["msg"].startswith('url: endpoint: "0" is the unspecified address (0.0.0.0)')
    assert results[1]["ok"] and results[1]["status"] == 200
    assert results[2]["failed"] and "answered 401" in results[2]["msg"]
    assert "wrong-value" not in str(results[2]) and "s3cret" not in str(results[1])
    assert results[3]["msg"].startswith("would request GET %s/" % site)
