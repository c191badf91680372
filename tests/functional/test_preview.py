"""The preview (issue 17): a throwaway nginx on the new tree, health-checked before the live one sees it.

Real nginx, real curl, loopback only. The promise: a config that fails its health check never answers
a client; what cannot be previewed is said; nothing of the preview is left behind on any exit path.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils.host import deploy, nginx_process, preview
from tests.conftest import COLLECTIONS
from tests.functional.test_http_check import free_port

MAIN = ("pid nginx.pid;\nerror_log logs/error.log;\nevents { worker_connections 64; }\n"
        "http {\n    access_log logs/access.log;\n    include conf.d/*.conf;\n}\n")
SITE = 'server {\n    listen 127.0.0.1:%d;\n    location / { return 200 "%s\\n"; }\n}\n'
# The new config of the incident's cousin: it passes the rules and nginx -t, and proxies to a dead port.
DEAD = 'server {\n    listen 127.0.0.1:%d;\n    location / { proxy_pass http://127.0.0.1:%d; }\n}\n'


def preview_processes(under):
    """Processes holding a file of a preview's folder under ``under`` open (this test's previews only:
    other deploys on this machine may run previews of their own meanwhile)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                links = [os.readlink("/proc/%s/fd/%s" % (entry, fd)) for fd in os.listdir("/proc/%s/fd" % entry)]
            except OSError:
                continue
            if any(link.startswith(under) and "/scratch/%s/" % preview.FOLDER in link for link in links):
                found.append(int(entry))
    return found


def work_dirs():
    """The previews' work folders in this test's temporary directory (see ``live``)."""
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith("preflight-preview-")}


@pytest.fixture
def live(tmp_path, nginx, monkeypatch):
    """A live nginx on a conf.d tree; ``live.write(name, text)`` adds a site, ``live.start()`` runs it.

    The previews' work folders go to a temporary directory of this test's own (other deploys on this
    machine make theirs in /tmp), one the workers' user may enter, as /tmp.
    """
    private = tempfile.mkdtemp(prefix="preview-test-tmp-", dir="/tmp")
    os.chmod(private, 0o711)
    monkeypatch.setattr(tempfile, "tempdir", private)
    monkeypatch.setenv("TMPDIR", private)

    class Live:
        dir = tmp_path / "nginx"
        main = dir / "nginx.conf"
        backups = tmp_path / "backups"
        binary = nginx
        port = free_port()

        def write(self, name, text):
            (self.dir / "conf.d" / name).write_text(text)
            return self.dir / "conf.d" / name

        def start(self):
            subprocess.run([nginx, "-c", str(self.main), "-p", str(self.dir) + "/"], check=True)
            self.started = True
            for _attempt in range(250):  # the daemon writes its pid file a moment after the command returns
                if self.master() and nginx_process.children(self.master()):
                    return
                time.sleep(0.02)

        def master(self):
            return nginx_process.read_pid(str(self.dir / "nginx.pid"))

        def get(self, path="/", port=None, host=None):
            connection = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=5)
            try:
                connection.request("GET", path, headers={"Host": host} if host else {})
                answer = connection.getresponse()
                return answer.status, answer.read().decode()
            finally:
                connection.close()

        def processes(self):
            return preview_processes(str(tmp_path))

        def settings(self, files, **options):
            values = dict(config=str(self.main), prefix=str(self.dir), nginx_binary=nginx, probe_backends="none",
                          reload_method="signal", reload_timeout=5, backup_dir=str(self.backups),
                          health_checks=[{"url": "http://127.0.0.1:%d/" % self.port, "body_regex": "new"}])
            values.update(options)
            return deploy.Settings(files=files, **values)

        def scratch(self):
            folder = tmp_path / "scratch"
            folder.mkdir(mode=0o700, exist_ok=True)
            return str(folder)

        def preview(self, checks, **options):
            return preview.run(str(self.main), checks, self.scratch(), nginx, deploy.subprocess_runner,
                               prefix=str(self.dir), **options)

    site = Live()
    for folder in ("logs", "conf.d"):
        (site.dir / folder).mkdir(parents=True)
    site.main.write_text(MAIN)
    site.started = False
    yield site
    if site.started:
        subprocess.run([nginx, "-c", str(site.main), "-p", str(site.dir) + "/", "-s", "quit"], check=False)
    assert not site.processes(), "a preview nginx was left running"
    shutil.rmtree(private)


class Poller(threading.Thread):
    """A client that keeps asking the live site, counting every answer."""

    def __init__(self, site):
        threading.Thread.__init__(self, daemon=True)
        self.site = site
        self.answers = []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            try:
                self.answers.append(self.site.get())
            except OSError as exc:
                self.answers.append((0, str(exc)))
            time.sleep(0.01)

    def stop(self):
        self.stopping.set()
        self.join(10)
        return self.answers


# --- the promise: a bad config never takes a request --------------------------------------------------

def _failed_deploy(site, preview_on, **options):
    target = site.write("shop.conf", SITE % (site.port, "old"))
    site.start()
    master = site.master()
    workers = nginx_process.children(master)
    poller = Poller(site)
    poller.start()
    time.sleep(0.1)
    checks = [{"url": "http://127.0.0.1:%d/" % site.port, "status": [200], "deadline": 1.5, "delay": 0.2}]
    result = deploy.run(site.settings([{"dest": str(target), "content": DEAD % (site.port, free_port())}],
                                      health_checks=checks, preview=preview_on, **options), deploy.subprocess_runner)
    time.sleep(0.1)
    return result, poller.stop(), master, workers, target


def test_a_failed_deploy_never_answers_a_client_with_the_new_config(live):
    result, answers, master, workers, target = _failed_deploy(live, preview_on=True)
    assert result["failed"] and result["msg"].startswith("blocked: preview failed: "), result["msg"]
    assert "answered 502, expected 200" in result["msg"] and "nginx logged: connect() failed" in result["msg"]
    assert "nothing live was changed" in result["msg"] and not result["changed"]
    assert len(answers) > 20
    assert [a for a in answers if a != (200, "old\n")] == []  # zero errors, the old body throughout
    assert live.master() == master and nginx_process.children(master) == workers  # never reloaded
    assert target.read_text() == SITE % (live.port, "old")
    assert [s["name"] for s in result["steps"]][-2:] == ["validation", "preview"]


def test_without_the_preview_the_same_deploy_serves_errors_until_the_rollback(live):
    """What the preview prevents (the issue's 502s for the deadline's length), seen by the same client."""
    result, answers, _master, _workers, _target = _failed_deploy(live, preview_on=False)
    assert result["failed"] and result["msg"].startswith("rolled back: health check failed")
    assert any(status == 502 for status, _body in answers)


def test_a_healthy_deploy_previews_then_switches_and_checks_live(live):
    target = live.write("shop.conf", SITE % (live.port, "old"))
    live.start()
    result = deploy.run(live.settings([{"dest": str(target), "content": SITE % (live.port, "new")}]),
                        deploy.subprocess_runner)
    assert not result["failed"], result["msg"]
    names = [s["name"] for s in result["steps"]]
    assert names.index("preview") < names.index("swap") < names.index("reload") < names.index("health check")
    assert result["preview"]["ok"] and result["preview"]["checks"][0]["status"] == 200
    assert result["health"][0]["ok"] and live.get() == (200, "new\n")
    assert not os.listdir(os.path.join(live.backups, "scratch"))  # the preview's folder went with it


def test_preview_false_turns_it_off(live):
    target = live.write("shop.conf", SITE % (live.port, "old"))
    live.start()
    result = deploy.run(live.settings([{"dest": str(target), "content": SITE % (live.port, "new")}], preview=False),
                        deploy.subprocess_runner)
    assert not result["failed"] and "preview" not in [s["name"] for s in result["steps"]]
    assert result["preview"] == {"ran": False, "skipped": None}
    assert deploy.Settings(files=[], config=str(live.main)).preview is False  # no checks: nothing to preview
    assert deploy.Settings(files=[], config=str(live.main), health_checks=[{"url": "http://x/"}]).preview is True


# --- fidelity: what the preview serves is what the live nginx will serve ------------------------------

def test_several_servers_on_one_port_route_as_live(live):
    other = free_port()
    live.write("sites.conf", (
        'server { listen 127.0.0.1:%(p)d; server_name a.example; return 200 "a\\n"; }\n'
        'server { listen 127.0.0.1:%(p)d default_server; server_name b.example; return 200 "b\\n"; }\n'
        'server { listen 127.0.0.1:%(p)d; server_name c.example; return 200 "c\\n"; }\n'
        'server { listen 127.0.0.1:%(o)d; server_name a.example; return 200 "other\\n"; }\n') % dict(
            p=live.port, o=other))

    def check(host, port, body):
        return {"url": "http://%s:%d/" % (host, port), "resolve": ["%s:%d:127.0.0.1" % (host, port)],
                "body_regex": "^%s$" % body}
    result = live.preview([check("a.example", live.port, "a"), check("c.example", live.port, "c"),
                           check("unknown.example", live.port, "b"), check("a.example", other, "other")])
    assert result["ok"], result
    assert len(result["checks"]) == 4
    # And a wrong expectation fails: the default server of the port is b, not a.
    result = live.preview([check("unknown.example", live.port, "a")])
    assert result["ran"] and not result["ok"] and "does not match" in result["error"]


def test_sockets_map_one_to_one_and_socket_options_are_handled(live, tmp_path):
    live.write("sites.conf", (
        "server { listen 80; listen [::]:80 ipv6only=off; server_name a; }\n"
        "server { listen 0.0.0.0:80 default_server reuseport backlog=511; server_name b; }\n"
        "server { listen 127.0.0.1:80 ssl http2 proxy_protocol; server_name c; ssl_certificate x.pem; }\n"
        "server { server_name implicit; }\n"))
    folder = tmp_path / "plan"
    folder.mkdir()
    ports = iter(range(40001, 40100))
    plan = preview.build(str(live.main), str(folder), str(tmp_path), allocate=lambda family, transport: next(ports))
    assert set(plan.sockets) == {("tcp", socket.AF_INET, "0.0.0.0", 80), ("tcp", socket.AF_INET6, "::", 80),
                                 ("tcp", socket.AF_INET, "127.0.0.1", 80)}
    with open(plan.config_path) as handle:
        text = handle.read()
    wildcard = plan.sockets[("tcp", socket.AF_INET, "0.0.0.0", 80)][2]
    # listen 80, listen 0.0.0.0:80 and the implicit *:80 are one live socket: one preview socket.
    assert text.count("listen 127.0.0.1:%d;" % wildcard) == 2
    assert "listen 127.0.0.1:%d default_server backlog=511;" % wildcard in text  # reuseport dropped
    assert "listen [::1]:%d;" % plan.sockets[("tcp", socket.AF_INET6, "::", 80)][2] in text  # ipv6only dropped
    assert "ssl http2 proxy_protocol;" in text
    assert "ssl_certificate %s;" % (live.dir / "x.pem") in text  # read where the live nginx reads it
    assert "daemon off;" in text and "pid %s;" % plan.pid_path in text and "include" not in text
    # An IPv4 client of [::]:80 with ipv6only=off lands there when no IPv4 socket has the port.
    del plan.sockets[("tcp", socket.AF_INET, "0.0.0.0", 80)]
    assert preview.preview_socket(plan, {"url": "http://127.0.0.2:80/"})[0] == socket.AF_INET6


@pytest.fixture
def certs(tmp_path):
    """Self-signed certificates for a.example and b.example (openssl CLI)."""
    made = {}
    for name in ("a.example", "b.example"):
        key, cert = tmp_path / ("%s.key" % name), tmp_path / ("%s.pem" % name)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=%s" % name,
                        "-addext", "subjectAltName=DNS:%s" % name], check=True, capture_output=True)
        made[name] = (key, cert)
    return made


def _tls_site(live, certs, a_cert="a.example", extra=""):
    for key, cert in certs.values():
        os.replace(key, live.dir / key.name)
        os.replace(cert, live.dir / cert.name)
    # Relative certificate paths: nginx reads them from its configuration folder, so must the preview.
    live.write("tls.conf", (
        "server { listen 127.0.0.1:%(p)d ssl; server_name a.example; ssl_certificate %(a)s.pem;\n"
        "         ssl_certificate_key %(a)s.key; %(extra)s return 200 \"a tls\\n\"; }\n"
        "server { listen 127.0.0.1:%(p)d ssl; server_name b.example; ssl_certificate b.example.pem;\n"
        "         ssl_certificate_key b.example.key; %(extra)s return 200 \"b tls\\n\"; }\n") % dict(
            p=live.port, a=a_cert, extra=extra))


def _tls_check(live, name):
    return {"url": "https://%s:%d/" % (name, live.port), "resolve": ["%s:%d:127.0.0.1" % (name, live.port)],
            "ca_path": str(live.dir / ("%s.pem" % name)), "body_regex": "tls"}


def test_tls_sites_answer_with_their_own_certificate_by_sni(live, certs):
    _tls_site(live, certs)
    result = live.preview([_tls_check(live, "a.example"), _tls_check(live, "b.example")])
    assert result["ok"], result


def test_a_certificate_served_to_the_wrong_name_fails_the_preview(live, certs):
    _tls_site(live, certs, a_cert="b.example")  # a.example would get b's certificate
    result = live.preview([_tls_check(live, "b.example"), _tls_check(live, "a.example")])
    assert result["ran"] and not result["ok"]
    assert result["checks"][0]["ok"] and "certificate" in result["error"], result


def test_ssl_stapling_and_a_resolver_preview_like_the_rest(live, certs):
    _tls_site(live, certs, extra="ssl_stapling on; ssl_stapling_verify on; resolver 127.0.0.1:%d valid=10s;"
              % free_port())
    result = live.preview([_tls_check(live, "a.example"), _tls_check(live, "b.example")])
    assert result["ok"], result


def _has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback here")
def test_ipv6_listens_preview_on_the_ipv6_loopback(live):
    with socket.socket(socket.AF_INET6) as sock:
        sock.bind(("::1", 0))
        port = sock.getsockname()[1]
    live.write("six.conf", 'server { listen [::1]:%d; return 200 "six\\n"; }\n' % port)
    result = live.preview([{"url": "http://[::1]:%d/" % port, "body_regex": "six"}])
    assert result["ok"], result


def test_quoting_survives_the_rewrite(live):
    live.write("odd.conf", (
        "log_format odd '$remote_addr \"$request\" \\t $status';\n"
        "map $http_x_flag $answer { \"\" empty; ~^y(es)?$ \"yes it's\"; default other; }\n"
        "server { listen 127.0.0.1:%d; access_log /dev/null odd;\n"
        "    location ~ \"^/re(g|x)$\" { return 200 \"regex {$answer}\\n\"; }\n"
        "    location / { if ($http_x_flag ~* \"^(no|off)$\") { return 403; } return 200 \"$answer\\n\"; } }\n")
        % live.port)
    result = live.preview([{"url": "http://127.0.0.1:%d/" % live.port, "body_regex": "^empty$"},
                           {"url": "http://127.0.0.1:%d/rex" % live.port, "headers": {"X-Flag": "yes"},
                            "body_regex": "^regex \\{yes it's\\}$"},
                           {"url": "http://127.0.0.1:%d/" % live.port, "headers": {"X-Flag": "No"},
                            "status": [403]}])
    assert result["ok"], result


def test_logs_temp_and_cache_stay_in_scratch(live, tmp_path):
    cache = tmp_path / "live-cache"
    live.write("cache.conf", (
        "proxy_cache_path %s keys_zone=c:1m;\n"
        "server { listen 127.0.0.1:%d; error_log %s/live-error.log; return 200 \"ok\\n\"; }\n")
        % (cache, live.port, tmp_path))
    result = live.preview([{"url": "http://127.0.0.1:%d/" % live.port}])
    assert result["ok"], result
    assert not cache.exists() and not (tmp_path / "live-error.log").exists()
    assert not (live.dir / "logs" / "access.log").exists() and not (live.dir / "nginx.pid").exists()
    assert not os.listdir(live.scratch()) and not work_dirs()


# --- what cannot be previewed is said ---------------------------------------------------------------

@pytest.mark.parametrize("config, reason", [
    ('server { listen unix:/run/shop-preview-test.sock; return 200; }\n',
     "listens only on UNIX sockets (unix:/run/shop-preview-test.sock)"),
    ('server { listen 127.0.0.1:%(p)d; location / { perl_set $x "sub { 1 }"; return 200; } }\n',
     "perl_set runs embedded Perl"),
    ('server { listen 127.0.0.1:%(p)d; location / { content_by_lua_block { ngx.say(1) } } }\n',
     "content_by_lua_block runs Lua code"),
    ('server { listen 127.0.0.1:%(p)d; location / { root /srv; proxy_pass http://127.0.0.1:1; proxy_store on; } }\n',
     "proxy_store writes responses into the live file tree"),
])
def test_what_cannot_be_previewed_is_skipped_with_why(live, config, reason):
    live.write("site.conf", config % {"p": live.port})
    result = live.preview([{"url": "http://127.0.0.1:%d/" % live.port}])
    assert not result["ran"] and reason in result["skipped"], result
    assert not os.listdir(live.scratch()) and not work_dirs()


def test_a_stream_port_range_is_skipped_with_why(live):
    live.main.write_text(MAIN + "stream { server { listen 127.0.0.1:40000-40010; proxy_pass 127.0.0.1:1; } }\n")
    live.write("site.conf", SITE % (live.port, "new"))
    result = live.preview([{"url": "http://127.0.0.1:%d/" % live.port}])
    assert "listen 127.0.0.1:40000-40010 is a port range" in result["skipped"], result


STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"


@pytest.mark.skipif(not os.path.exists(STREAM_MODULE), reason="nginx's stream module is not installed")
def test_a_stream_server_is_previewed_on_its_own_port(live):
    backend = free_port()
    stream_port = free_port()
    live.main.write_text("load_module %s;\n" % STREAM_MODULE + MAIN
                         + "stream { server { listen 127.0.0.1:%d; proxy_pass 127.0.0.1:%d; } }\n"
                         % (stream_port, backend))
    live.write("site.conf", SITE % (backend, "through the stream"))
    result = live.preview([{"url": "http://127.0.0.1:%d/" % stream_port, "body_regex": "stream"}])
    assert result["ok"], result


def test_a_server_proxying_to_another_server_of_the_same_nginx_reaches_its_preview(live):
    """Internal hops go to the preview's sockets: the live nginx behind them still runs the old config."""
    inner = free_port()
    target = live.write("shop.conf", (SITE % (inner, "old inner"))
                        + "server { listen 127.0.0.1:%d; location / { proxy_pass http://localhost:%d; } }\n"
                        % (live.port, inner))
    live.start()
    assert live.get() == (200, "old inner\n")
    target.write_text(target.read_text().replace("old inner", "new inner"))
    result = live.preview([{"url": "http://127.0.0.1:%d/" % live.port, "body_regex": "^new inner"}])
    assert result["ok"], result


def test_no_free_port_is_skipped_with_why(live):
    live.write("site.conf", SITE % (live.port, "new"))

    def no_port(family, transport):
        raise OSError(98, "Address already in use")
    result = live.preview([{"url": "http://127.0.0.1:%d/" % live.port}], allocate=no_port)
    assert result["skipped"].startswith("no free TCP port on 127.0.0.1 for the preview of 127.0.0.1:%d" % live.port)


def test_checks_the_preview_cannot_stand_in_for_are_said(live):
    live.write("site.conf", SITE % (live.port, "new"))
    elsewhere = {"url": "http://127.0.0.1:%d/" % free_port()}
    result = live.preview([elsewhere, {"url": "http://127.0.0.1:%d/" % live.port, "unix_socket": "/run/x.sock"}])
    assert "no health check reaches the new configuration" in result["skipped"]
    assert "does not listen on 127.0.0.1:" in result["skipped"] and "UNIX socket /run/x.sock" in result["skipped"]
    result = live.preview([elsewhere, {"url": "http://127.0.0.1:%d/" % live.port, "body_regex": "new"}])
    assert result["ok"] and len(result["not_previewed"]) == 1


def test_a_skipped_preview_is_a_warning_and_the_live_checks_still_guard(live):
    target = live.write("shop.conf", SITE % (live.port, "old"))
    live.start()
    files = [{"dest": str(target), "content": SITE % (live.port, "new") + (
        "server { listen 127.0.0.1:%d; location / { root /srv; proxy_pass http://127.0.0.1:1; proxy_store on; } }\n"
        % free_port())}]
    result = deploy.run(live.settings(files), deploy.subprocess_runner)
    assert not result["failed"], result["msg"]
    assert any(w.startswith("preview skipped: ") and "proxy_store" in w for w in result["warnings"])
    assert result["health"][0]["ok"] and live.get() == (200, "new\n")


# --- nothing left behind --------------------------------------------------------------------------------

def _deploy_in_a_process(site, files, checks):
    code = ("import json, sys\nsys.path.insert(0, %r)\n"
            "from ansible_collections.preflight.nginx.plugins.module_utils.host import deploy\n"
            "s = deploy.Settings(**json.loads(sys.argv[1]))\n"
            "print(json.dumps(deploy.run(s, deploy.subprocess_runner)))\n" % COLLECTIONS)
    options = dict(files=files, config=str(site.main), prefix=str(site.dir), nginx_binary=site.binary,
                   probe_backends="none", reload_method="signal", reload_timeout=5, backup_dir=str(site.backups),
                   health_checks=checks)
    return subprocess.Popen([sys.executable, "-c", code, json.dumps(options)], stdout=subprocess.PIPE, text=True)


def _title(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def _wait_for_preview(live, timeout=15):
    """Until the preview nginx serves (a worker runs): the interrupt then lands during its health check."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(_title(pid).startswith(b"nginx: worker") for pid in live.processes()):
            time.sleep(0.1)
            return
        time.sleep(0.02)
    pytest.fail("no preview nginx started")


def _slow_failing_deploy(live):
    target = live.write("shop.conf", SITE % (live.port, "old"))
    live.start()
    # The new config answers "new"; the check wants "old" and keeps retrying: the preview stays up.
    checks = [{"url": "http://127.0.0.1:%d/" % live.port, "body_regex": "^old", "retries": 200, "delay": 0.1}]
    before = work_dirs()
    proc = _deploy_in_a_process(live, [{"dest": str(target), "content": SITE % (live.port, "new")}], checks)
    _wait_for_preview(live)
    return proc, target, before


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_during_the_preview_leaves_nothing(live, number):
    proc, target, before = _slow_failing_deploy(live)
    proc.send_signal(number)
    out, _err = proc.communicate(timeout=30)
    result = json.loads(out)
    assert result["failed"] and "preview failed: interrupted" in result["msg"] and "nothing live" in result["msg"]
    assert not live.processes() and work_dirs() == before
    left = os.path.join(live.backups, "scratch", "preview")
    assert not os.path.exists(left), (os.listdir(left), result["msg"])
    assert target.read_text() == SITE % (live.port, "old") and live.get() == (200, "old\n")


def test_sigkill_during_the_preview_then_the_next_run_leaves_nothing(live):
    proc, target, before = _slow_failing_deploy(live)
    proc.kill()
    proc.wait(10)
    assert target.read_text() == SITE % (live.port, "old") and live.get() == (200, "old\n")
    # The kernel tells the orphaned preview nginx (parent-death signal): it stops by itself...
    end = time.monotonic() + 10
    while live.processes() and time.monotonic() < end:
        time.sleep(0.05)
    assert not live.processes()
    assert len(work_dirs() - before) == 1  # ...and its folders wait for the next run
    result = deploy.run(live.settings([{"dest": str(target), "content": SITE % (live.port, "new")}]),
                        deploy.subprocess_runner)
    assert not result["failed"], result["msg"]
    assert "(removed the folders of a preview a killed deploy left behind)" in result["recovered"]
    assert not live.processes() and work_dirs() == before
    assert live.get() == (200, "new\n")


def test_a_preview_left_running_is_stopped_by_the_next_run(live, tmp_path):
    """A deploy killed so that its preview survived it (here: the test stands in for the dead deploy,
    so nginx outlives nothing): the next run finds it by its mark and stops it before anything else."""
    target = live.write("shop.conf", SITE % (live.port, "old"))
    live.start()
    scratch = os.path.join(live.backups, "scratch")
    os.makedirs(scratch, mode=0o700)
    folder = os.path.join(scratch, preview.FOLDER)
    os.mkdir(folder, 0o700)
    work = tempfile.mkdtemp(prefix="preflight-preview-")
    preview._write_state(folder, {"work": work})
    plan = preview.build(str(live.main), folder, work, prefix=str(live.dir))
    instance = preview.Instance(plan, live.binary, str(live.dir))
    instance.start()
    orphan = instance.proc.pid
    assert live.processes()
    result = deploy.run(live.settings([{"dest": str(target), "content": SITE % (live.port, "new")}]),
                        deploy.subprocess_runner)
    assert not result["failed"], result["msg"]
    assert "(stopped the preview nginx a killed deploy left running)" in result["recovered"]
    instance.proc.wait(5)
    assert not live.processes() and not os.path.exists(work) and not nginx_process.is_alive(orphan)


def test_workers_write_their_temp_files_where_they_may(live):
    """The preview's workers (the user nobody here: no user directive, master as root) write a cached
    answer into the preview's cache folder (not the live one), inside a work folder they may enter but
    not list."""
    public = tempfile.mkdtemp(prefix="preview-test-public-", dir="/tmp")
    try:
        os.chmod(public, 0o755)
        with open(os.path.join(public, "big.bin"), "wb") as handle:
            handle.write(b"x" * 300000)
        os.chmod(os.path.join(public, "big.bin"), 0o644)
        backend = free_port()
        live.write("big.conf", (
            "proxy_cache_path /var/cache/preflight-preview-test-not-used keys_zone=big:1m;\n"
            "server { listen 127.0.0.1:%d; root %s; }\n"
            "server { listen 127.0.0.1:%d; location / { proxy_pass http://127.0.0.1:%d/big.bin;\n"
            "    proxy_cache big; proxy_cache_valid 200 1m; } }\n")  # a cached answer always goes to a file
            % (backend, public, live.port, backend))
        result = live.preview([{"url": "http://127.0.0.1:%d/" % live.port, "body_regex": "^x+$", "timeout": 5}])
        assert result["ok"], result["error"]
        assert not os.path.exists("/var/cache/preflight-preview-test-not-used")
    finally:
        shutil.rmtree(public)


def test_a_new_certificate_in_the_deploy_is_previewed_from_its_staged_file(live, certs):
    """The certificate is one of the files deployed: not at its live path yet when the preview starts."""
    key, cert = certs["b.example"]
    site = live.write("shop.conf", SITE % (live.port, "old"))
    live.start()
    files = [{"dest": str(live.dir / "b.example.pem"), "content": cert.read_text()},
             {"dest": str(live.dir / "b.example.key"), "content": key.read_text(), "mode": "0600"},
             {"dest": str(site), "content": "server { listen 127.0.0.1:%d ssl; server_name b.example;\n"
              "    ssl_certificate b.example.pem; ssl_certificate_key b.example.key; return 200 \"new tls\\n\"; }\n"
              % live.port}]
    check = {"url": "https://b.example:%d/" % live.port, "resolve": ["b.example:%d:127.0.0.1" % live.port],
             "ca_path": str(cert), "body_regex": "new tls"}
    result = deploy.run(live.settings(files, health_checks=[check]), deploy.subprocess_runner)
    assert not result["failed"], result["msg"]
    assert result["preview"]["ok"] and result["health"][0]["ok"]


# --- every real-world config rewrites without a traceback, and keeps what it does not move ---------

_MOVED = {"listen", "include", "error_log", "access_log", "pid", "lock_file", "daemon", "worker_processes",
          "worker_cpu_affinity"} | set(preview._TEMP_PATHS) | set(preview._CACHE_PATHS) | set(preview._PASSES) \
    | {"server"}  # upstream servers may move to a preview socket; server blocks are compared by content


def _statements(payload):
    out = []
    for stmt in payload:
        name = stmt["directive"]
        if name not in _MOVED and name != "#":
            args = stmt.get("args", ())
            if preview._CONF_RELATIVE.match(name):  # made absolute: read where the live nginx reads them
                args = [os.path.basename(a) for a in args]
            out.append((name, tuple(args)))
        out.extend(_statements(stmt.get("block", ())))
    return out


def test_the_real_world_corpus_rewrites_faithfully(tmp_path):
    from tests.conftest import CORPUS

    crossplane = pytest.importorskip("crossplane")
    with open(os.path.join(CORPUS, "realworld", "cases.json")) as handle:
        cases = json.load(handle)
    rewritten = skipped = 0
    ports = iter(range(20000, 60000))
    for number, case in enumerate(cases):
        path = os.path.join(CORPUS, "realworld", case["case"], case["conf"])
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
        main = path
        if not re.search(r"^\s*(http|events)\s*\{", text, re.M):  # a site file: inside http, as nginx.conf has it
            main = str(tmp_path / ("main-%d.conf" % number))
            with open(main, "w") as handle:
                handle.write("events {}\nhttp {\n    include %s;\n}\n" % path)
        folder = tmp_path / ("preview-%d" % number)
        folder.mkdir()
        try:
            plan = preview.build(main, str(folder), str(tmp_path), allocate=lambda _family, _transport: next(ports))
        except preview.Skipped:
            skipped += 1
            continue
        rewritten += 1
        out = crossplane.parse(plan.config_path, single=True, check_ctx=False, check_args=False, comments=False)
        assert not out["errors"], (case["case"], out["errors"])
        source = crossplane.parse(main, check_ctx=False, check_args=False, comments=False)
        expected = [s for config in source["config"] for s in _statements(config["parsed"])]
        # crossplane lists an included file once, the preview has it where each include stands: compare sets
        assert set(_statements(out["config"][0]["parsed"])) == set(expected), case["case"]
    assert rewritten > 30 and skipped < rewritten, (rewritten, skipped)


# --- through the role ---------------------------------------------------------------------------------

def test_through_the_role_the_preview_blocks_a_dead_backend_and_says_what_it_leaves_out(live, tmp_path, ansible_env):
    from tests.functional.test_ansible import gate_role_tasks, playbook

    target = live.write("shop.conf", SITE % (live.port, "old"))
    live.start()

    def role(content):
        return gate_role_tasks([{"dest": target, "content": content}], live.main, live.dir, live.binary,
                               live.backups, [{"url": "http://127.0.0.1:%d/" % live.port, "status": [200],
                                               "retries": 0}])

    rc, results = playbook(tmp_path, ansible_env, role(DEAD % (live.port, free_port())), extra=("-v",))
    assert rc == 2, results
    assert results[-1]["msg"].startswith("blocked: preview failed: "), results[-1]["msg"]
    assert live.get() == (200, "old\n") and target.read_text() == SITE % (live.port, "old")
    unix = ('server { listen unix:%s/shop.sock; return 200; }\n' % tmp_path) + SITE % (live.port, "new")
    rc, results = playbook(tmp_path, ansible_env, role(unix), extra=("-v",))
    assert rc == 0, results
    deployed = next(r for r in results if "changing" in r)
    assert any(w.startswith("preview: left out ") and "shop.sock" in w for w in deployed.get("warnings", ()))
    assert deployed["preview"]["ok"] and live.get() == (200, "new\n")


def test_with_validate_in_place_a_failing_preview_rolls_the_files_back_before_any_reload(live, tmp_path, monkeypatch):
    """Without a private mount namespace (validate_in_place) the files are written before validation; the
    preview still runs before the reload, so the live nginx never loads the bad config."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "curl", "mount"):
        os.symlink(shutil.which(tool), str(bin_dir / tool))
    monkeypatch.setenv("PATH", str(bin_dir))  # no unshare here
    result, answers, master, workers, target = _failed_deploy(live, preview_on=True, validate_in_place=True)
    assert result["msg"].startswith("rolled back: preview failed: "), result["msg"]
    assert "nginx was not reloaded" in result["msg"]
    assert [a for a in answers if a != (200, "old\n")] == []
    assert live.master() == master and nginx_process.children(master) == workers
    assert target.read_text() == SITE % (live.port, "old")
