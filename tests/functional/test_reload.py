"""nginx_reload on a real nginx: new workers, and a reload nginx cannot apply."""

import socket
import subprocess

import pytest

from tests.conftest import nginx_binary
from tests.functional.test_ansible import playbook
from tests.functional.test_http_check import free_port


@pytest.fixture
def instance(tmp_path, nginx):
    prefix = tmp_path / "nginx"
    (prefix / "logs").mkdir(parents=True)
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text("pid nginx.pid;\nerror_log logs/error.log;\nevents { worker_connections 16; }\n"
                    "http { access_log off; server { listen 127.0.0.1:%d; return 204; } }\n" % port)
    subprocess.run([nginx, "-c", str(conf), "-p", str(prefix) + "/"], check=True)
    yield conf, prefix, port
    subprocess.run([nginx_binary(), "-c", str(conf), "-p", str(prefix) + "/", "-s", "quit"], check=False)


def test_reload_waits_for_new_workers_and_reports_one_that_did_not_apply(tmp_path, ansible_env, instance, nginx):
    conf, prefix, port = instance
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    taken = blocker.getsockname()[1]
    try:
        task = """
    - preflight.nginx.nginx_reload:
        config: %s
        prefix: %s
        nginx_binary: %s
        timeout: 3
      ignore_errors: true
""" % (conf, prefix, nginx)
        rc, first = playbook(tmp_path, ansible_env, task)
        assert rc == 0 and first[0]["new_workers"] and not set(first[0]["new_workers"]) & set(first[0]["old_workers"])
        conf.write_text(conf.read_text().replace("listen 127.0.0.1:%d;" % port, "listen 127.0.0.1:%d;" % taken))
        rc, second = playbook(tmp_path, ansible_env, task)
        assert second[0]["failed"]
        assert second[0]["msg"].startswith("nginx reload did not take effect: no new workers after 3s")
    finally:
        blocker.close()
