"""The gate's promise under faults, interrupts and attack, on a real nginx with real curl.

The promise: a bad config is never left live; the previous files come back byte-identical with
mode, owner, links and xattrs; nothing is left behind; the message says truthfully what happened;
no secret is printed; nothing outside the managed files is touched.
"""

import base64
import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils.host import deploy, transaction
from tests.conftest import COLLECTIONS, nginx_binary
from tests.functional.test_ansible import playbook, site_role_tasks
from tests.functional.test_http_check import free_port

OLD = 'server {\n    listen 127.0.0.1:%d;\n    location / { return 200 "old\\n"; }\n}\n'
NEW = OLD.replace('"old', '"new')
BAD = OLD.replace("return 200", "proxy_pass http://0:8082; return 200")  # the incident: rules block it
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="changes owners: needs root")


@pytest.fixture
def site(tmp_path, nginx):
    """A live nginx whose only site (sites-available/shop, linked from sites-enabled) answers "old"."""
    site = _start_site(tmp_path / "nginx", tmp_path / "backups", nginx)
    yield site
    _stop_site(site)


def _start_site(conf_dir, backups, nginx):
    for folder in ("logs", "sites-available", "sites-enabled", "conf.d"):
        (conf_dir / folder).mkdir(parents=True)
    port = free_port()
    main = conf_dir / "nginx.conf"
    main.write_text("pid nginx.pid;\nerror_log logs/error.log;\nevents { worker_connections 16; }\n"
                    "http {\n    access_log off;\n    include conf.d/*.conf;\n    include sites-enabled/*;\n}\n")
    target = conf_dir / "sites-available" / "shop"
    target.write_text(OLD % port)
    os.symlink(str(target), str(conf_dir / "sites-enabled" / "shop"))
    subprocess.run([nginx, "-c", str(main), "-p", str(conf_dir) + "/"], check=True)
    site = {"dir": conf_dir, "main": main, "port": port, "target": target, "link": conf_dir / "sites-enabled" / "shop",
            "backups": backups, "nginx": nginx}
    assert serves(site) == "old"
    return site


def _stop_site(site):
    subprocess.run([nginx_binary(), "-c", str(site["main"]), "-p", str(site["dir"]) + "/", "-s", "quit"], check=False)


@contextlib.contextmanager
def small_tmpfs(path, size):
    """A tmpfs of ``size`` ("256k") mounted at ``path`` for the block: a disk that fills up."""
    path.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", str(path)], check=False).returncode:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)  # lazily: a test's nginx may still hold it


def serves(site):
    proc = subprocess.run(["curl", "-s", "--max-time", "3", "http://127.0.0.1:%d/" % site["port"]],
                          capture_output=True, text=True, check=False)
    return proc.stdout.strip()


def settings(site, files, **options):
    values = dict(config=str(site["main"]), prefix=str(site["dir"]), nginx_binary=site["nginx"],
                  nginx_test=True, probe_backends="none", reload_method="signal", reload_timeout=5,
                  backup_dir=str(site["backups"]), keep=5,
                  health_checks=[{"url": "http://127.0.0.1:%d/" % site["port"], "body_regex": "new", "retries": 0}])
    values.update(options)
    return deploy.Settings(files=files, **values)


def run(site, files, **options):
    return deploy.run(settings(site, files, **options), deploy.subprocess_runner)


def snapshot_of(path):
    info = os.lstat(path)
    return (open(path, "rb").read(), stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)


# --- modes, owners, xattrs, links ---------------------------------------------------------------------

@root_only
def test_a_deploy_keeps_the_mode_and_owner_of_the_file_it_replaces(site):
    conf = site["dir"] / "conf.d" / "extra.conf"
    conf.write_text("# nothing yet\n")
    os.chmod(conf, 0o600)
    os.chown(conf, 65534, 65534)
    result = run(site, [{"dest": str(conf), "content": "# tuned\n"}], health_checks=[])
    assert not result["failed"], result
    assert snapshot_of(conf)[1:] == (0o600, 65534, 65534)
    result = run(site, [{"dest": str(conf), "content": "# tuned\n", "mode": "u=rw,g=r,o=r"}], health_checks=[])
    assert not result["failed"] and stat.S_IMODE(os.stat(conf).st_mode) == 0o644


def test_snapshots_are_private_whatever_the_umask(site):
    conf = site["dir"] / "conf.d" / "secret.conf"
    conf.write_text("# a secret of sorts\n")
    os.chmod(conf, 0o600)
    previous = os.umask(0)
    try:
        files = [{"dest": str(conf), "content": "# changed\n"},
                 {"dest": str(site["link"]), "content": NEW % site["port"]}]
        result = run(site, files, preview=False,  # a rollback after the switch, which takes a snapshot
                     health_checks=[{"url": "http://127.0.0.1:%d/" % site["port"], "body_regex": "^old", "retries": 0}])
    finally:
        os.umask(previous)
    assert result["failed"] and result["msg"].startswith("rolled back: health check failed")
    assert stat.S_IMODE(os.stat(site["backups"]).st_mode) == 0o700
    folder = site["backups"] / result["snapshot"]
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    copies = [p for p in folder.iterdir() if p.name != "journal.json"]
    assert copies and all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in copies)


@root_only
def test_an_owner_only_change_that_fails_is_restored(site):
    before = snapshot_of(site["target"])
    result = run(site, [{"dest": str(site["link"]), "content": site["target"].read_text(), "owner": "nobody"},
                        {"dest": str(site["dir"] / "conf.d" / "bad.conf"), "content": "upstream u { server 0:80; }\n"}])
    assert result["failed"]
    assert snapshot_of(site["target"]) == before and not (site["dir"] / "conf.d" / "bad.conf").exists()


def test_user_xattrs_come_back_with_the_rollback(site):
    try:
        os.setxattr(site["target"], "user.owner-team", b"payments")
    except OSError:
        pytest.skip("this file system has no user xattrs")
    result = run(site, [{"dest": str(site["link"]), "content": BAD % site["port"]}])
    assert result["failed"]
    assert os.getxattr(site["target"], "user.owner-team") == b"payments"


def test_a_sites_enabled_link_is_written_through_and_stays_a_link(site):
    result = run(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}])
    assert not result["failed"], result["msg"]
    assert os.path.islink(site["link"]) and site["target"].read_text() == NEW % site["port"]
    assert serves(site) == "new"
    result = run(site, [{"dest": str(site["link"]), "content": BAD % site["port"]}])
    assert result["failed"] and os.path.islink(site["link"])
    assert site["target"].read_text() == NEW % site["port"] and serves(site) == "new"


def test_disabling_a_site_is_part_of_the_transaction(site):
    extra = site["dir"] / "conf.d" / "extra.conf"
    extra.write_text("# kept\n")
    result = run(site, [{"dest": str(extra), "state": "absent"},
                        {"dest": str(site["link"]), "content": BAD % site["port"]}])
    assert result["failed"] and extra.read_text() == "# kept\n"
    result = run(site, [{"dest": str(extra), "state": "absent"}], health_checks=[])
    assert not result["failed"] and not extra.exists()


# --- leftovers ---------------------------------------------------------------------------------------

def test_folders_made_for_a_new_file_go_away_with_the_rollback(site):
    new = site["dir"] / "conf.d" / "teams" / "payments" / "api.conf"
    result = run(site, [{"dest": str(new), "content": "upstream api { server 0:9000; }\n"}])
    assert result["failed"] and not (site["dir"] / "conf.d" / "teams").exists()


def test_keep_also_bounds_the_failed_snapshots(site):
    for _attempt in range(4):
        result = run(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}], keep=2, preview=False,
                     health_checks=[{"url": "http://127.0.0.1:%d/" % site["port"], "body_regex": "^old", "retries": 0}])
        assert result["failed"] and result["msg"].startswith("rolled back: health check failed")
    assert len([d for d in os.listdir(site["backups"]) if d.startswith("txn-")]) == 2


# --- inputs -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("item, message", [
    ({"dest": "conf.d/x.conf", "content": ""}, "files[0]: dest 'conf.d/x.conf' must be an absolute path"),
    ({"dest": "/tmp/elsewhere.conf", "content": ""}, "is outside the nginx configuration folder"),
    ({"dest": "{dir}/conf.d/x.conf", "content": "", "owner": "no-such-user-here"},
     "files[0]: owner 'no-such-user-here' does not exist on this host"),
    ({"dest": "{dir}/conf.d/x.conf", "content": "", "mode": "u=banana"}, "invalid mode 'u=banana'"),
    ({"dest": "{dir}/conf.d/x.conf"}, "needs content (text) or content_base64"),
    ({"dest": "{dir}/conf.d/x.conf", "content": "", "state": "gone"}, "state must be present, absent or link"),
])
def test_bad_items_are_refused_by_name_before_anything_changes(site, item, message):
    item = {key: (value.format(dir=site["dir"]) if isinstance(value, str) else value) for key, value in item.items()}
    with pytest.raises(deploy.InputError, match=re.escape(message)):
        settings(site, [item])
    assert not site["backups"].exists()


def test_the_same_file_twice_is_refused(site):
    with pytest.raises(deploy.InputError, match=r"files\[1\]: dest .* is also files\[0\]"):
        settings(site, [{"dest": str(site["target"]), "content": ""}, {"dest": str(site["link"]), "content": ""}])


def test_latin1_content_that_nginx_accepts_is_deployed_byte_for_byte(site):
    data = "# caf\xe9 \xe0 la carte\n".encode("latin-1")
    conf = site["dir"] / "conf.d" / "latin1.conf"
    result = run(site, [{"dest": str(conf), "content_base64": base64.b64encode(data).decode()}], health_checks=[])
    assert not result["failed"], result["msg"]
    assert conf.read_bytes() == data


# --- concurrency and trust ----------------------------------------------------------------------------

def test_a_second_deploy_waits_then_says_why_it_stops(site):
    site["backups"].mkdir(mode=0o700)
    with open(site["backups"] / ".lock", "a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(deploy.Stopped, match="another deploy to this host has held"):
            run(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}], lock_timeout=0.5)
        assert time.monotonic() - started >= 0.5
    assert site["target"].read_text() == OLD % site["port"]


def test_a_backup_dir_others_can_write_is_not_trusted(site, tmp_path):
    site["backups"].mkdir()
    os.chmod(site["backups"], 0o777)
    victim = tmp_path / "victim"
    victim.write_text("untouched\n")
    # Another user plants an open transaction that would write chosen bytes to a chosen path.
    planted = site["backups"] / "txn-planted"
    planted.mkdir()
    (planted / "0000").write_text("owned\n")
    (planted / "journal.json").write_text(json.dumps({"name": "txn-planted", "files": [
        {"path": str(victim), "existed": True, "copy": "0000", "sha256": "x", "mode": 0o644, "uid": 0, "gid": 0}]}))
    (site["backups"] / "ACTIVE").write_text("txn-planted\n")
    with pytest.raises(deploy.Stopped, match="can be written by others"):
        run(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}])
    assert victim.read_text() == "untouched\n"


def test_recovery_replays_only_files_the_deploy_manages(site, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("untouched\n")
    journal = transaction.begin(str(site["backups"]), [str(victim)])
    victim.write_text("changed by a dead run of something else\n")
    with pytest.raises(deploy.Stopped, match="names files this deploy does not manage"):
        run(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}])
    assert transaction.active(str(site["backups"])).endswith(journal["name"])


# --- interrupts -----------------------------------------------------------------------------------------

def _deploy_in_a_process(site, files, checks, dry=False, preview=False):
    """The deploy in a process of its own; without the preview by default, so that the new config goes live
    and the interrupt lands after the switch."""
    code = ("import json, sys\nsys.path.insert(0, %r)\n"
            "from ansible_collections.preflight.nginx.plugins.module_utils.host import deploy\n"
            "s = deploy.Settings(**json.loads(sys.argv[1]))\n"
            "print(json.dumps(deploy.run(s, deploy.subprocess_runner)))\n" % COLLECTIONS)
    options = dict(files=files, config=str(site["main"]), prefix=str(site["dir"]), nginx_binary=site["nginx"],
                   probe_backends="none", reload_method="signal", reload_timeout=5, backup_dir=str(site["backups"]),
                   health_checks=checks, preview=preview)
    argv = [sys.executable, "-c", code, json.dumps(options)]
    return argv if dry else subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)


def _wait_for_state(site, state, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            journal = transaction.journal_of(str(site["backups"]))
        except (OSError, ValueError, transaction.TransactionError):
            journal = None
        if journal and journal.get("state") == state and serves(site) == "new":
            return
        time.sleep(0.05)
    pytest.fail("the deploy never reached %s" % state)


# A health check that keeps failing on the new config (it wants "old") and passes at once on the old one.
def _slow_check(site):
    return [{"url": "http://127.0.0.1:%d/" % site["port"], "body_regex": "^old", "retries": 100, "delay": 0.2,
             "timeout": 1}]


def test_sigterm_during_the_health_check_rolls_back(site):
    proc = _deploy_in_a_process(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}], _slow_check(site))
    _wait_for_state(site, "reloaded")
    proc.send_signal(signal.SIGTERM)
    out, _err = proc.communicate(timeout=30)
    result = json.loads(out)
    assert result["failed"] and "interrupted" in result["msg"]
    assert "previous config restored and healthy" in result["msg"]
    assert site["target"].read_text() == OLD % site["port"] and serves(site) == "old"
    assert transaction.active(str(site["backups"])) is None


def test_ctrl_c_during_the_health_check_rolls_back(site):
    proc = _deploy_in_a_process(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}], _slow_check(site))
    _wait_for_state(site, "reloaded")
    proc.send_signal(signal.SIGINT)
    out, _err = proc.communicate(timeout=30)
    assert "interrupted" in json.loads(out)["msg"]
    assert serves(site) == "old" and transaction.active(str(site["backups"])) is None


def test_a_run_killed_after_the_reload_is_finished_by_the_next_one(site):
    proc = _deploy_in_a_process(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}], _slow_check(site))
    _wait_for_state(site, "reloaded")
    proc.kill()
    proc.wait(timeout=10)
    assert serves(site) == "new"  # the unchecked config is live: the next run must undo it
    result = run(site, [{"dest": str(site["link"]), "content": OLD % site["port"]}], health_checks=[])
    assert not result["failed"], result["msg"]
    assert "(nginx reloaded onto the restored files)" in result["recovered"]
    assert serves(site) == "old" and site["target"].read_text() == OLD % site["port"]
    # The killed run's health-check scratch (headers file and all) is gone too.
    assert os.listdir(site["backups"] / "scratch") == []


# --- disk full ------------------------------------------------------------------------------------------

@root_only
def test_a_full_disk_stops_before_writing_and_says_so(site, tmp_path):
    with small_tmpfs(tmp_path / "small", "256k") as small:
        (small / "nginx.conf").write_text("events {}\nhttp {}\n")
        (small / "site.conf").write_text("# old\n")
        files = [{"dest": str(small / "site.conf"), "content": "# " + "x" * 400000 + "\n"}]
        with pytest.raises(deploy.Stopped, match="not enough space on the file system"):
            deploy.run(deploy.Settings(files=files, config=str(small / "nginx.conf"), nginx_test=False,
                                       probe_backends="none", backup_dir=str(tmp_path / "b")),
                       deploy.subprocess_runner)
        assert (small / "site.conf").read_text() == "# old\n"


# --- through the module: tools, secrets -----------------------------------------------------------------

def test_the_module_refuses_before_touching_anything_when_a_tool_is_missing(tmp_path, ansible_env, site):
    tasks = """
    - preflight.nginx.nginx_deploy:
        files: [{dest: "%(link)s", content: "whatever"}]
        config: %(main)s
        nginx_binary: /nonexistent/nginx
        reload_method: signal
        backup_dir: %(backups)s
      ignore_errors: true
    - preflight.nginx.nginx_deploy:
        files: [{dest: "%(link)s", content: "server { listen 127.0.0.1:%(port)d; return 204; }"}]
        config: %(main)s
        nginx_binary: %(nginx)s
        prefix: %(dir)s
        reload_method: signal
        probe_backends: none
        backup_dir: %(backups)s
        health_checks:
          - url: "http://deploy:Hunter2Secret@127.0.0.1:%(closed)d/health"
            headers: {Authorization: "Bearer TokenValue123"}
            retries: 0
      ignore_errors: true
    - preflight.nginx.nginx_deploy:
        files: [{dest: "%(link)s", content: "whatever"}]
        config: %(main)s
        nginx_binary: %(nginx)s
        reload_method: systemd
        backup_dir: %(backups)s
        health_checks: [{url: "http://127.0.0.1:%(port)d/"}]
      environment:
        PATH: /usr/sbin  # neither curl nor systemctl (both in /usr/bin) can be found
      ignore_errors: true
""" % dict(site, closed=free_port())
    rc, results = playbook(tmp_path, ansible_env, tasks, extra=("-vvv",))
    assert rc == 0, results  # both tasks ignore their errors
    assert results[0]["failed"] and results[0]["msg"].startswith("nothing was changed: the host lacks nginx")
    assert site["target"].read_text() == OLD % site["port"]
    output = json.dumps(results)
    assert results[1]["failed"] and "rolled back: health check failed" in results[1]["msg"]
    assert "Hunter2Secret" not in output and "TokenValue123" not in output
    assert results[2]["failed"] and results[2]["msg"].startswith("nothing was changed: the host lacks curl")
    assert "systemctl, for reload_method=systemd" in results[2]["msg"]
    assert site["target"].read_text() == OLD % site["port"] and serves(site) == "old"


# --- backends -------------------------------------------------------------------------------------------

def _listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock


def test_an_upstream_whose_every_server_refuses_blocks_the_deploy(site):
    dead_a, dead_b = free_port(), free_port()
    upstream = "upstream shop { server 127.0.0.1:%d; server 127.0.0.1:%d; }\n" % (dead_a, dead_b)
    content = upstream + NEW.replace('return 200 "new\\n";', "proxy_pass http://shop;") % site["port"]
    result = run(site, [{"dest": str(site["link"]), "content": content}], probe_backends="warning")
    assert result["failed"] and result["msg"].startswith("blocked: validation failed")
    assert "no other server of it answers" in result["msg"] and "nginx was not reloaded" in result["msg"]
    assert serves(site) == "old"


def test_a_partial_outage_goes_live_with_a_warning(site):
    alive = _listener()
    try:
        dead = free_port()
        upstream = "upstream shop { server 127.0.0.1:%d; server 127.0.0.1:%d; }\n" % (alive.getsockname()[1], dead)
        proxy = "server { listen 127.0.0.1:%d; location / { proxy_pass http://shop; } }\n" % free_port()
        content = upstream + NEW % site["port"] + proxy
        result = run(site, [{"dest": str(site["link"]), "content": content}], probe_backends="warning")
        assert not result["failed"], result["msg"]
        assert [(f["rule"], f["severity"]) for f in result["findings"]] == [("backend-unreachable", "warning")]
    finally:
        alive.close()


# --- check and diff mode --------------------------------------------------------------------------------

@root_only
def test_check_mode_runs_nginx_t_on_the_new_files_in_place(site):
    # The rules cannot see this one: nginx refuses an unknown variable only when it loads the file.
    broken = NEW.replace('return 200 "new\\n";', 'return 200 "$no_such_variable_here";') % site["port"]
    result = deploy.run(settings(site, [{"dest": str(site["link"]), "content": broken}]), deploy.subprocess_runner,
                        check_mode=True)
    assert result["failed"] and result["nginx_test"] == {"ran": True, "rc": 1, "in_place": True}
    assert 'unknown "no_such_variable_here" variable' in result["msg"]
    assert site["target"].read_text() == OLD % site["port"] and serves(site) == "old"
    good = deploy.run(settings(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}]),
                      deploy.subprocess_runner, check_mode=True)
    assert not good["failed"] and good["nginx_test"]["rc"] == 0
    diff = good["file_diffs"][0]
    assert diff["before"] == OLD % site["port"] and diff["after"] == NEW % site["port"]


def test_diff_mode_shows_the_files_as_template_and_copy_do(tmp_path, ansible_env, site):
    tasks = """
    - preflight.nginx.nginx_deploy:
        files: [{dest: "%(link)s", content: "server { listen 127.0.0.1:%(port)d; return 204; }\\n"}]
        config: %(main)s
        nginx_binary: %(nginx)s
        prefix: %(dir)s
        reload_method: signal
        probe_backends: none
        backup_dir: %(backups)s
      check_mode: true
      diff: true
""" % site
    rc, results = playbook(tmp_path, ansible_env, tasks)
    assert rc == 0, results
    assert results[0]["diff"] == [{"before_header": str(site["link"]), "after_header": str(site["link"]),
                                   "before": OLD % site["port"],
                                   "after": "server { listen 127.0.0.1:%d; return 204; }\n" % site["port"]}]


def test_enabling_and_disabling_sites_are_part_of_the_transaction(site):
    blog = site["dir"] / "sites-available" / "blog"
    blog.write_text('server {\n    listen 127.0.0.1:%d;\n    return 200 "blog";\n}\n' % free_port())
    enabled = site["dir"] / "sites-enabled" / "blog"
    # Enable the blog together with a change that fails: the link goes away again.
    result = run(site, [{"dest": str(enabled), "link": str(blog)},
                        {"dest": str(site["link"]), "content": BAD % site["port"]}])
    assert result["failed"] and not os.path.lexists(enabled)
    result = run(site, [{"dest": str(enabled), "link": str(blog)}], health_checks=[])
    assert not result["failed"], result["msg"]
    assert os.readlink(enabled) == str(blog)
    # Disable the shop together with a change that fails: the link is back, its target untouched.
    before = site["target"].read_text()
    result = run(site, [{"dest": str(site["link"]), "state": "absent"},
                        {"dest": str(enabled), "content": "upstream u { server 0:80; }\n"}])
    assert result["failed"] and os.readlink(site["link"]) == str(site["target"])
    assert site["target"].read_text() == before and blog.read_text().startswith("server {")
    result = run(site, [{"dest": str(site["link"]), "state": "absent"}], health_checks=[])
    assert not result["failed"] and not os.path.lexists(site["link"]) and site["target"].exists()


def test_a_stale_pid_file_is_not_signalled(site):
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        pid_file = site["dir"] / "stale.pid"
        pid_file.write_text("%d\n" % bystander.pid)
        result = run(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}], pid_file=str(pid_file))
        assert result["failed"] and "rolled back: reload failed: nginx is not running" in result["msg"]
        assert bystander.poll() is None  # still alive: it got no SIGHUP
        assert site["target"].read_text() == OLD % site["port"]
    finally:
        bystander.kill()
        bystander.wait()


def test_a_reload_slower_than_the_timeout_is_reported_truthfully_and_undone(site):
    # nginx applies the new config, just later than the gate waits: the gate must not claim nginx
    # kept the old one, and must leave the old config live and healthy.
    result = run(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}], reload_timeout=0.0001,
                 health_checks=[{"url": "http://127.0.0.1:%d/" % site["port"], "retries": 20, "delay": 0.1}])
    assert result["failed"] and "nginx refused the new configuration or is still applying it" in result["msg"]
    assert "kept the old configuration" not in result["msg"]
    # The rollback's own reload has the same tiny timeout: it says it could not confirm, not "healthy".
    assert "previous config restored, NOT healthy: reload failed" in result["msg"]
    time.sleep(0.5)  # let the late workers finish: the old config must be what stays
    assert site["target"].read_text() == OLD % site["port"] and serves(site) == "old"


# --- staged: nothing unvalidated is ever live -----------------------------------------------------------

# nginx accepts it, the rules refuse it (the incident), and it answers "refused" if it ever goes live.
REFUSED = NEW.replace("return 200", "proxy_pass http://0:8082; return 200").replace('"new', '"refused')


def _slow_nginx(tmp_path, site, seconds=3):
    """An nginx_binary whose nginx -t takes ``seconds``: the window in which another actor may reload."""
    wrapper = tmp_path / "slow-nginx"
    wrapper.write_text('#!/bin/sh\nfor a in "$@"; do [ "$a" = -t ] && sleep %d; done\nexec %s "$@"\n'
                       % (seconds, site["nginx"]))
    wrapper.chmod(0o755)
    return str(wrapper)


def _outside_reload(site):
    """What a certbot hook or an admin does: reload nginx, whatever the gate is doing."""
    master = int((site["dir"] / "nginx.pid").read_text())
    os.kill(master, signal.SIGHUP)


def _in_background(function, *args, **kwargs):
    outcome = {}

    def target():
        try:
            outcome["result"] = function(*args, **kwargs)
        except BaseException as exc:
            outcome["error"] = exc
    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


def _wait_for(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@root_only
def test_an_outside_reload_while_the_gate_validates_keeps_the_old_config(site, tmp_path):
    extra = site["dir"] / "sites-enabled" / "extra"  # include sites-enabled/*: its staged copy must not match
    files = [{"dest": str(site["link"]), "content": REFUSED % site["port"]},
             {"dest": str(extra), "content": "# a new site\n"}]
    thread, outcome = _in_background(run, site, files, nginx_binary=_slow_nginx(tmp_path, site))
    assert _wait_for(lambda: list(site["dir"].glob("sites-enabled/.preflight-stage-*")))
    time.sleep(0.3)  # the gate's nginx -t is sleeping now
    assert site["target"].read_text() == OLD % site["port"] and not extra.exists()
    dump = subprocess.run([site["nginx"], "-T", "-c", str(site["main"]), "-p", str(site["dir"]) + "/"],
                          capture_output=True, text=True, check=False).stdout
    assert "# configuration file" in dump and ".preflight-stage" not in dump
    _outside_reload(site)
    time.sleep(1)
    assert serves(site) == "old"
    thread.join(30)
    result = outcome["result"]
    assert result["failed"] and result["msg"].startswith("blocked: validation failed")
    assert "nothing live was changed" in result["msg"] and not result["changed"]
    assert serves(site) == "old" and site["target"].read_text() == OLD % site["port"] and not extra.exists()
    assert list(site["dir"].rglob(".preflight-stage-*")) == []


@pytest.fixture
def no_unshare(tmp_path, monkeypatch):
    """A PATH with the tools of a host without util-linux's unshare."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "curl", "sleep", "mount"):
        found = shutil.which(tool)
        if found:
            os.symlink(found, str(bin_dir / tool))
    monkeypatch.setenv("PATH", str(bin_dir))


@root_only
def test_without_a_private_mount_namespace_the_deploy_refuses_and_says_why(site, no_unshare):
    with pytest.raises(deploy.Stopped, match="cannot validate the new files before they go live: .* unshare "
                                             r"\(util-linux\) is not installed. Set validate_in_place"):
        run(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}])
    assert site["target"].read_text() == OLD % site["port"] and serves(site) == "old"
    assert list(site["dir"].rglob(".preflight-stage-*")) == []


@root_only
def test_validate_in_place_and_an_outside_reload_the_rollback_reloads_too(site, tmp_path, no_unshare):
    files = [{"dest": str(site["link"]), "content": REFUSED % site["port"]}]
    thread, outcome = _in_background(run, site, files, nginx_binary=_slow_nginx(tmp_path, site),
                                     validate_in_place=True, health_checks=[])
    assert _wait_for(lambda: site["target"].read_text() == REFUSED % site["port"])
    _outside_reload(site)  # the unvalidated files are live in this order: the reload loads them
    assert _wait_for(lambda: serves(site) == "refused")
    thread.join(30)
    result = outcome["result"]
    assert result["failed"] and result["msg"].startswith("rolled back: validation failed")
    assert "nginx had been reloaded by something else during the deploy, so the rollback reloaded it too: " \
           "healthy" in result["msg"], result["msg"]
    assert any("validate_in_place" in warning for warning in result["warnings"])
    assert serves(site) == "old" and site["target"].read_text() == OLD % site["port"]


# --- the path really written ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["linked file", "linked folder", "absent under a linked folder"])
def test_a_symbolic_link_out_of_the_tree_is_refused_by_name(site, tmp_path, case):
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.conf"
    victim.write_text("# not nginx's\n")
    if case == "linked file":
        dest = site["dir"] / "conf.d" / "victim.conf"
        os.symlink(str(victim), str(dest))
        item = {"dest": str(dest), "content": "# overwritten\n"}
    else:
        os.symlink(str(outside), str(site["dir"] / "conf.d" / "linked"))
        dest = site["dir"] / "conf.d" / "linked" / "victim.conf"
        item = {"dest": str(dest), "content": "# overwritten\n"} if case == "linked folder" else \
            {"dest": str(dest), "state": "absent"}
    with pytest.raises(deploy.InputError, match=re.escape("files[0]: dest %s resolves to %s" % (dest, victim))
                       + ".*outside the nginx configuration folder"):
        run(site, [item])
    assert victim.read_text() == "# not nginx's\n"
    # allowed by name: check mode still touches nothing (its staged copy keeps the link, not written through)
    result = deploy.run(settings(site, [item], allow_outside=True, health_checks=[]), deploy.subprocess_runner,
                        check_mode=True)
    assert not result["failed"], result["msg"]
    assert victim.read_text() == "# not nginx's\n"
    # and deployed, it is written (or removed) where the link leads
    result = run(site, [item], allow_outside=True, health_checks=[])
    assert not result["failed"], result["msg"]
    assert (not victim.exists()) if case.startswith("absent") else victim.read_text() == "# overwritten\n"


# --- a rollback that needs no new space, and one that fails -------------------------------------------

def _failing_check(site, retries=15):
    """Fails on the new config for about ``retries`` * 0.2 s, passes at once on the old one."""
    return [{"url": "http://127.0.0.1:%d/" % site["port"], "body_regex": "^old", "retries": retries, "delay": 0.2,
             "timeout": 1}]


def _fill(folder):
    with open(os.path.join(folder, "filler"), "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass


@root_only
@pytest.mark.parametrize("full", ["backup directory", "configuration folder"])
def test_a_disk_that_fills_after_the_reload_does_not_stop_the_rollback(site, tmp_path, full):
    with small_tmpfs(tmp_path / "small", "1m") as small:
        if full == "backup directory":
            live = dict(site, backups=small / "backups")
        else:  # a second nginx whose configuration lives on the small file system
            _stop_site(site)
            live = _start_site(small / "nginx", tmp_path / "backups-2", site["nginx"])
        thread, outcome = _in_background(run, live, [{"dest": str(live["link"]), "content": NEW % live["port"]}],
                                         backup_dir=str(live["backups"]), health_checks=_failing_check(live),
                                         preview=False)
        _wait_for_state(live, "reloaded")
        _fill(str(small))
        thread.join(30)
        result = outcome.get("result")
        assert result is not None, outcome
        assert result["msg"].startswith("rolled back: health check failed"), result["msg"]
        assert "previous config restored and healthy" in result["msg"]
        assert serves(live) == "old" and live["target"].read_text() == OLD % live["port"]
        assert transaction.active(str(live["backups"])) is None
        journal = json.loads((live["backups"] / result["snapshot"] / "journal.json").read_text())
        assert journal["state"] == "rolled back" and "rolled_back" in journal
        if full == "configuration folder":
            _stop_site(live)


def test_a_rollback_that_cannot_restore_a_file_says_so_and_what_is_live(site):
    thread, outcome = _in_background(run, site, [{"dest": str(site["link"]), "content": NEW % site["port"]}],
                                     health_checks=_failing_check(site), preview=False)
    _wait_for_state(site, "reloaded")
    # Both ways back are gone: the old file kept beside the new one, and its snapshot copy.
    for kept in site["target"].parent.glob(".preflight-old-*"):
        kept.unlink()
    folder = transaction.active(str(site["backups"]))
    os.unlink(os.path.join(folder, "0000"))
    thread.join(30)
    result = outcome.get("result")
    assert result is not None, outcome
    assert result["failed"] and result["msg"].startswith("ROLLBACK FAILED after health check failed"), result["msg"]
    assert "not restored: %s" % site["target"] in result["msg"]
    assert "nginx still runs the new configuration (this deploy reloaded it)" in result["msg"]
    assert serves(site) == "new"  # the truth the message tells
    journal = transaction.journal_of(str(site["backups"]))  # still open, for the next run
    assert journal["state"] == "rollback failed" and str(site["target"]) in journal["not_restored"]


# --- ACLs and other xattrs ------------------------------------------------------------------------------

@root_only
def test_acls_and_system_xattrs_stay_with_a_deploy_and_come_back_with_a_rollback(site):
    if shutil.which("setfacl") is None:
        pytest.skip("setfacl (Debian package acl) is not installed")
    target = str(site["target"])
    subprocess.run(["setfacl", "-m", "user:nobody:r--", target], check=True)
    try:
        os.setxattr(target, "trusted.team", b"payments")
    except OSError:
        pytest.skip("this file system has no trusted.* xattrs")

    def acl():
        return subprocess.run(["getfacl", "-cp", target], capture_output=True, text=True, check=True).stdout

    before = acl()
    assert "user:nobody:r--" in before
    result = run(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}])
    assert not result["failed"], result["msg"]
    assert acl() == before and os.getxattr(target, "trusted.team") == b"payments"
    result = run(site, [{"dest": str(site["link"]), "content": OLD % site["port"]}], preview=False,
                 health_checks=[{"url": "http://127.0.0.1:%d/" % site["port"], "body_regex": "^new", "retries": 0}])
    assert result["failed"] and "previous config restored" in result["msg"]
    assert site["target"].read_text() == NEW % site["port"]
    assert acl() == before and os.getxattr(target, "trusted.team") == b"payments"


@root_only
def test_acls_come_back_from_the_snapshot_copy_too(site):
    # Without the kept hard link (a killed run's next run, a file system without links), the copy serves.
    target = str(site["target"])
    subprocess.run(["setfacl", "-m", "user:nobody:r--", target], check=True)
    backups = str(site["backups"])
    transaction.begin(backups, [target])
    site["target"].unlink()
    site["target"].write_text("# changed\n")
    transaction.rollback(backups)
    assert "user:nobody:r--" in subprocess.run(["getfacl", "-cp", target], capture_output=True, text=True,
                                               check=True).stdout
    assert site["target"].read_text() == OLD % site["port"]


# --- a controller that goes away -----------------------------------------------------------------------

def test_a_controller_killed_whatever_the_signal_makes_the_deploy_roll_back(site):
    # As under Ansible: the deploy runs in a session of its own below the controller, so a SIGHUP to the
    # play's process group (or a SIGKILL) ends the controller and never reaches the deploy.
    deployer = _deploy_in_a_process(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}],
                                    _slow_check(site), dry=True)
    controller = subprocess.Popen([sys.executable, "-c", "import subprocess, sys; "
                                   "subprocess.run(sys.argv[1:], start_new_session=True)"] + deployer,
                                  stdout=subprocess.PIPE, text=True)
    _wait_for_state(site, "reloaded")
    controller.kill()
    controller.wait(timeout=10)
    out = controller.stdout.read()  # the pipe stays open until the deploy itself ends
    result = json.loads(out)
    assert result["failed"] and "interrupted (the controller went away" in result["msg"], result["msg"]
    assert "previous config restored and healthy" in result["msg"]
    assert serves(site) == "old" and transaction.active(str(site["backups"])) is None


def test_one_deploy_per_nginx_instance_whatever_the_backup_dir(site, tmp_path):
    first, outcome = _in_background(run, site, [{"dest": str(site["link"]), "content": NEW % site["port"]}],
                                    health_checks=_failing_check(site, retries=10), preview=False)
    _wait_for_state(site, "reloaded")
    with pytest.raises(deploy.Stopped, match=r"another deploy to this nginx \(configuration folder %s\) has held"
                       % re.escape(str(site["dir"]))):
        run(site, [{"dest": str(site["dir"] / "conf.d" / "other.conf"), "content": "# other\n"}],
            backup_dir=str(tmp_path / "other-backups"), lock_timeout=0.5, health_checks=[])
    first.join(30)
    assert outcome["result"]["msg"].startswith("rolled back: health check failed")
    assert not (site["dir"] / "conf.d" / "other.conf").exists() and serves(site) == "old"


# --- a pid file that moves, and nginx -t's own files ------------------------------------------------------

@root_only
def test_a_pid_directive_moved_to_a_new_path_is_followed(site, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    new_pid = run_dir / "nginx.pid"
    master = int((site["dir"] / "nginx.pid").read_text())
    moved = site["main"].read_text().replace("pid nginx.pid;", "pid %s;" % new_pid)
    files = [{"dest": str(site["main"]), "content": moved}, {"dest": str(site["link"]), "content": NEW % site["port"]}]
    # Blocked first (the rules refuse the site): nginx -t must not leave an empty pid file at the new path.
    blocked = run(site, [files[0], {"dest": str(site["link"]), "content": REFUSED % site["port"]}])
    assert blocked["msg"].startswith("blocked: validation failed") and not new_pid.exists()
    result = run(site, files)
    assert not result["failed"], result["msg"]
    assert serves(site) == "new" and int(new_pid.read_text()) == master  # the same master, followed
    # and back again through a rollback (the new config's check fails on purpose)
    result = run(site, [{"dest": str(site["main"]), "content": moved.replace("pid %s;" % new_pid, "pid nginx.pid;")},
                        {"dest": str(site["link"]), "content": OLD % site["port"]}], preview=False,
                 health_checks=[{"url": "http://127.0.0.1:%d/" % site["port"], "body_regex": "^new", "retries": 0}])
    assert result["failed"] and "previous config restored and healthy" in result["msg"], result["msg"]
    assert serves(site) == "new" and int(new_pid.read_text()) == master


@root_only
def test_check_mode_leaves_no_log_or_pid_file_behind(site, tmp_path):
    logs = tmp_path / "var-log"
    logs.mkdir()
    site_conf = ('server {\n    listen 127.0.0.1:%d;\n    access_log %s/shop-access.log;\n'
                 '    error_log %s/shop-error.log;\n    return 200 "new\\n";\n}\n' % (site["port"], logs, logs))
    result = deploy.run(settings(site, [{"dest": str(site["link"]), "content": site_conf}]),
                        deploy.subprocess_runner, check_mode=True)
    assert not result["failed"] and result["nginx_test"]["rc"] == 0, result["msg"]
    assert os.listdir(logs) == []
    assert site["target"].read_text() == OLD % site["port"]


def test_another_playbook_recovers_a_killed_run_then_deploys_its_own_change(site):
    proc = _deploy_in_a_process(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}], _slow_check(site))
    _wait_for_state(site, "reloaded")
    proc.kill()
    proc.wait(timeout=10)
    # Another playbook: its own new site, and a health check only that new site can answer.
    port = free_port()
    blog = site["dir"] / "conf.d" / "blog.conf"
    result = run(site, [{"dest": str(blog), "content": 'server { listen 127.0.0.1:%d; return 200 "blog"; }\n' % port}],
                 health_checks=[{"url": "http://127.0.0.1:%d/" % port, "body_regex": "blog", "retries": 0}])
    assert not result["failed"], result["msg"]
    assert re.match(r"recovered the deploy of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC that was interrupted after its "
                    r"reload \(txn-[^)]+\): restored %s, and reloaded nginx onto them" % re.escape(str(site["target"])),
                    result["msg"]), result["msg"]
    assert result["warnings"] == [result["msg"]]
    assert serves(site) == "old" and site["target"].read_text() == OLD % site["port"]
    assert [h["ok"] for h in result["health"]] == [True] and blog.exists()


KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7SecretKeyBody\n" \
      "-----END PRIVATE KEY-----\n"
HTPASSWD = "deploy:$apr1$Zx9Q1w2E$SecretHashValue123456/\n"


def test_no_file_content_in_any_output_not_even_at_vvv_and_diff(tmp_path, ansible_env, site):
    tasks = """
    - preflight.nginx.nginx_deploy:
        files:
          - {dest: "%(dir)s/ssl/shop.key", content: "%(key)s", mode: "0600"}
          - {dest: "%(dir)s/htpasswd", content: "%(htpasswd)s"}
          - {dest: "%(dir)s/conf.d/private.conf", content: "# PlainButPrivateMarker\\n", no_log: true}
          - {dest: "%(link)s", content: "server { listen 127.0.0.1:%(port)d; return 200 VisibleMarker; }\\n"}
        config: %(main)s
        nginx_binary: %(nginx)s
        prefix: %(dir)s
        reload_method: signal
        probe_backends: none
        backup_dir: %(backups)s
      diff: true
""" % dict(site, key=KEY.replace("\n", "\\n"), htpasswd=HTPASSWD.replace("\n", "\\n").replace("$", "$"))
    rc, results = playbook(tmp_path, ansible_env, tasks, extra=("-vvv",))
    assert rc == 0, results
    output = json.dumps(results)
    assert "module_args" in output and "VisibleMarker" in output  # the diff of the ordinary file is shown
    for secret in ("SecretKeyBody", "SecretHashValue", "PlainButPrivateMarker"):
        assert secret not in output, secret
    diffs = {d["after_header"]: d["after"] for d in results[0]["diff"]}
    assert diffs[str(site["dir"] / "ssl" / "shop.key")].startswith("(content not shown: it looks like a secret")
    assert diffs[str(site["dir"] / "conf.d" / "private.conf")] == "(content not shown: no_log is set for this file)\n"
    assert (site["dir"] / "ssl" / "shop.key").read_text() == KEY
    assert (site["dir"] / "htpasswd").read_text() == HTPASSWD


@root_only
def test_check_mode_removes_its_staged_copy_on_sigterm_and_after_a_kill(site, tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    code = ("import json, sys\nsys.path.insert(0, %r)\n"
            "from ansible_collections.preflight.nginx.plugins.module_utils.host import deploy\n"
            "s = deploy.Settings(**json.loads(sys.argv[1]))\n"
            "try:\n    print(json.dumps(deploy.run(s, deploy.subprocess_runner, check_mode=True)))\n"
            "except deploy.Stopped as exc:\n    print(json.dumps({'stopped': str(exc)}))\n" % COLLECTIONS)
    options = dict(files=[{"dest": str(site["link"]), "content": NEW % site["port"]}], config=str(site["main"]),
                   prefix=str(site["dir"]), nginx_binary=_slow_nginx(tmp_path, site), probe_backends="none",
                   backup_dir=str(site["backups"]))
    env = dict(os.environ, TMPDIR=str(scratch))

    def start():
        proc = subprocess.Popen([sys.executable, "-c", code, json.dumps(options)],
                                stdout=subprocess.PIPE, text=True, env=env)
        assert _wait_for(lambda: any(p.name.startswith("preflight-gate-") for p in scratch.iterdir()))
        time.sleep(0.5)  # in its (slow) nginx -t now
        return proc

    proc = start()
    proc.send_signal(signal.SIGTERM)
    out, _err = proc.communicate(timeout=30)
    assert "check mode was interrupted" in json.loads(out)["stopped"]
    assert list(scratch.iterdir()) == []
    proc = start()
    proc.kill()  # nothing can clean up after SIGKILL: the next check-mode run does
    proc.wait(timeout=10)
    assert list(scratch.iterdir())
    os.environ["TMPDIR"], previous = str(scratch), os.environ.get("TMPDIR")
    tempfile.tempdir = None
    try:
        deploy.run(settings(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}]),
                   deploy.subprocess_runner, check_mode=True)
    finally:
        if previous is None:
            del os.environ["TMPDIR"]
        else:
            os.environ["TMPDIR"] = previous
        tempfile.tempdir = None
    time.sleep(3.5)  # the killed run's nginx -t sleeps on; its copy is gone all the same
    assert list(scratch.iterdir()) == []


# --- truthful messages ------------------------------------------------------------------------------------

@root_only
def test_the_space_check_counts_what_is_written_where_and_says_read_only(site, tmp_path):
    with small_tmpfs(tmp_path / "small", "256k") as small:
        (small / "nginx.conf").write_text("events {}\nhttp {}\n")
        (small / "site.conf").write_text("# old\n")
        options = dict(config=str(small / "nginx.conf"), nginx_test=False, probe_backends="none",
                       reload_method="signal", pid_file=str(tmp_path / "no.pid"), backup_dir=str(tmp_path / "b"))
        files = [{"dest": str(small / "site.conf"), "content": "# new, 140 bytes or so\n"}]
        # 256 KiB free is plenty for a small file (the snapshot is on another file system): no space refusal.
        result = deploy.run(deploy.Settings(files=files, **options), deploy.subprocess_runner)
        assert result["msg"].startswith("rolled back: reload failed: nginx is not running"), result["msg"]
        subprocess.run(["mount", "-o", "remount,ro", str(small)], check=True)
        with pytest.raises(deploy.Stopped, match="the file system of %s is mounted read-only, and the deploy must "
                                                 "write there: the new files, staged beside the live ones$"
                                                 % re.escape(str(small))):
            deploy.run(deploy.Settings(files=files, **options), deploy.subprocess_runner)


def test_after_a_rollback_only_the_checks_the_old_config_can_answer_run(site):
    port = free_port()
    files = [{"dest": str(site["dir"] / "conf.d" / "blog.conf"),
              "content": 'server { listen 127.0.0.1:%d; return 200 "blog"; }\n' % port}]
    checks = [{"url": "http://127.0.0.1:%d/" % site["port"], "retries": 0},
              {"url": "http://127.0.0.1:%d/" % port, "body_regex": "not what it says", "retries": 0}]
    result = run(site, files, health_checks=checks, preview=False)
    assert result["failed"] and result["msg"].startswith("rolled back: health check failed"), result["msg"]
    assert "previous config restored and healthy (health checks left out after the rollback: GET " \
           "http://127.0.0.1:%d/ (the previous config listens on no port %d))" % (port, port) in result["msg"]
    assert [h["ok"] for h in result["health"]] == [True, False]  # point 14: the checks that ran are in the result


def test_after_a_rollback_a_body_check_written_for_the_new_config_is_not_asked_of_the_old_one(site):
    # The new site answers "new" (its body check passes), a second check fails: rollback. The restored
    # site answers "old", as it should: it is healthy, and the message must not say otherwise.
    checks = [{"url": "http://127.0.0.1:%d/" % site["port"], "body_regex": "^new$", "retries": 0},
              {"url": "http://127.0.0.1:%d/health" % site["port"], "retries": 0}]
    broken_health = (NEW % site["port"]).replace("location / {", "location /health { return 500; }\n    location / {")
    result = run(site, [{"dest": str(site["target"]), "content": broken_health}], health_checks=checks,
                 preview=False)
    assert result["failed"] and result["msg"].startswith("rolled back: health check failed"), result["msg"]
    assert serves(site) == "old"
    assert "previous config restored and healthy" in result["msg"], result["msg"]
    assert ("the body check of GET http://127.0.0.1:%d/ (written for the new config; only its status was "
            "checked)" % site["port"]) in result["msg"], result["msg"]


def test_through_the_role_a_rollback_is_not_changed_and_carries_no_suppressed_exception(tmp_path, ansible_env, site):
    tasks = site_role_tasks(
        site, [{"dest": site["link"], "content": "server { listen 127.0.0.1:%d; return 200 new; }\n" % site["port"]}],
        [{"url": "http://127.0.0.1:%d/" % site["port"], "body_regex": "^old", "retries": 0}],
        preview=False)  # the rollback after the switch
    rc, results = playbook(tmp_path, ansible_env, tasks, extra=("-v",))
    assert rc == 2, results
    deploy_result = next(r for r in results if "changing" in r)
    assert deploy_result["changed"] is False and deploy_result["ok"] is False
    assert not any("failed_when_suppressed_exception" in r for r in results)
    assert [h["ok"] for h in deploy_result["health"]] == [False]
    assert results[-1]["failed"] and results[-1]["msg"].startswith("rolled back: health check failed")
    assert serves(site) == "old"
