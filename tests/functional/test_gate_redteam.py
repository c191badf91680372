"""Red-team of the staged gate (stage beside, validate in a private mount namespace, preview,
swap by rename, reload, health check) on a real nginx, through ``deploy.run``."""

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils import nginx_config
from ansible_collections.preflight.nginx.plugins.module_utils.host import deploy, transaction
from tests.functional.test_ansible import playbook, site_role_tasks
from tests.functional.test_gate_faults import (
    NEW,
    OLD,
    _deploy_in_a_process,
    _slow_nginx,
    _start_site,
    _stop_site,
    _wait_for,
    root_only,
    run,
    serves,
)
from tests.functional.test_http_check import free_port


@pytest.fixture
def site(tmp_path, nginx):
    site = _start_site(tmp_path / "nginx", tmp_path / "backups", nginx)
    yield site
    _stop_site(site)


def _reload(site):
    subprocess.run([site["nginx"], "-c", str(site["main"]), "-p", str(site["dir"]) + "/", "-s", "reload"], check=True)


def _left_behind(site):
    return sorted(str(p) for p in site["dir"].rglob(".preflight-stage-*"))


def test_an_include_glob_that_matches_the_staged_names_stops_before_staging(site):
    # `.[!.]*` (unlike `*`) matches the hidden stage names: an outside reload during the
    # validation would load the unvalidated staged file.
    (site["dir"] / "conf.d" / ".hidden").write_text("# an admin's dotfile\n")
    text = site["main"].read_text().replace("include conf.d/*.conf;",
                                            "include conf.d/*.conf;\n    include conf.d/.[!.]*;")
    site["main"].write_text(text)
    _reload(site)
    files = [{"dest": str(site["dir"] / "conf.d" / "new.conf"), "content": "# new\n"}]
    with pytest.raises(deploy.Stopped, match=r"the include conf.d/\.\[!\.\]\* \(.*nginx.conf line 7\) matches the "
                                             r"hidden names"):
        run(site, files, health_checks=[])
    assert _left_behind(site) == [] and not (site["dir"] / "conf.d" / "new.conf").exists()
    assert serves(site) == "old"


def test_a_dotfile_and_the_usual_globs_still_deploy(site):
    (site["dir"] / "conf.d" / ".hidden.conf").write_text("this is not nginx syntax at all\n")
    result = run(site, [{"dest": str(site["link"]), "content": NEW % site["port"]},
                        {"dest": str(site["dir"] / "conf.d" / "x.conf"), "content": "# x\n"}])
    assert not result["failed"], result["msg"]
    assert serves(site) == "new" and _left_behind(site) == []


@root_only
def test_the_view_links_big_files_instead_of_copying_them(site, monkeypatch):
    # A config folder that also holds big logs or a cache: the validated view must not copy their bytes.
    big = site["dir"] / "logs" / "big.log"
    with open(big, "wb") as handle:
        handle.truncate(200 * 1024 * 1024)
    seen = {}
    original = deploy.before_swap

    def spy(settings, mapping, result, *args, **kwargs):
        in_view = os.path.join(mapping[str(site["dir"])], "logs", "big.log")
        seen["same"] = os.path.samestat(os.stat(in_view), os.stat(big))
        return original(settings, mapping, result, *args, **kwargs)
    monkeypatch.setattr(deploy, "before_swap", spy)
    result = run(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}])
    assert not result["failed"], result["msg"]
    assert seen == {"same": True}
    assert serves(site) == "new" and os.path.getsize(big) == 200 * 1024 * 1024
    assert deploy._tree_size(str(site["dir"]), str(site["backups"])) < 1024 * 1024


def _answers(site, port):
    proc = subprocess.run(["curl", "-s", "--max-time", "3", "http://127.0.0.1:%d/" % port],
                          capture_output=True, text=True, check=False)
    return proc.stdout.strip()


def test_a_port_another_process_holds_is_rolled_back_after_the_switch(site):
    # The preview listens on free ports, so it passes; the live nginx cannot bind the new port.
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    taken = holder.getsockname()[1]
    previews = set(glob.glob("/tmp/preflight-preview-*"))  # /tmp is shared with other runs
    try:
        new = NEW % site["port"] + 'server {\n    listen 127.0.0.1:%d;\n    return 200 "x\\n";\n}\n' % taken
        result = run(site, [{"dest": str(site["link"]), "content": new}])
    finally:
        holder.close()
    assert result["failed"], result["msg"]
    assert result["msg"].startswith("rolled back: reload failed: nginx reload did not take effect"), result["msg"]
    assert serves(site) == "old" and site["target"].read_text() == OLD % site["port"]
    assert _left_behind(site) == [] and set(glob.glob("/tmp/preflight-preview-*")) <= previews


def test_an_upstream_of_the_configs_own_sockets_is_previewed_on_the_new_config(site):
    inner = free_port()
    new = ('upstream self {\n    server 127.0.0.1:%d;\n}\n'
           'server {\n    listen 127.0.0.1:%d;\n    location / { proxy_pass http://self; }\n}\n'
           'server {\n    listen 127.0.0.1:%d;\n    return 200 "new\\n";\n}\n' % (inner, site["port"], inner))
    result = run(site, [{"dest": str(site["link"]), "content": new}])
    assert not result["failed"], result["msg"]
    assert serves(site) == "new"


def test_a_broken_upstream_of_the_configs_own_sockets_is_caught_by_the_preview(site):
    # The live nginx answers "new" on the inner port (old config); the new inner server is broken.
    inner = free_port()
    old = OLD % site["port"] + 'server {\n    listen 127.0.0.1:%d;\n    return 200 "new\\n";\n}\n' % inner
    site["target"].write_text(old)
    _reload(site)
    new = ('upstream self {\n    server 127.0.0.1:%d;\n}\n'
           'server {\n    listen 127.0.0.1:%d;\n    location / { proxy_pass http://self; }\n}\n'
           'server {\n    listen 127.0.0.1:%d;\n    return 500 "broken\\n";\n}\n' % (inner, site["port"], inner))
    result = run(site, [{"dest": str(site["link"]), "content": new}])
    assert result["failed"] and result["msg"].startswith("blocked: preview failed"), result["msg"]
    assert site["target"].read_text() == old and serves(site) == "old"


def test_a_check_with_a_host_name_and_resolve_is_previewed_on_its_virtual_host(site):
    new = (OLD % site["port"]
           + 'server {\n    listen 127.0.0.1:%d;\n    server_name shop.example;\n    return 503;\n}\n' % site["port"])
    check = {"url": "http://shop.example:%d/" % site["port"], "resolve": ["shop.example:%d:127.0.0.1" % site["port"]],
             "retries": 0}
    result = run(site, [{"dest": str(site["link"]), "content": new}], health_checks=[check])
    assert result["failed"] and result["msg"].startswith("blocked: preview failed"), result["msg"]
    assert "503" in result["msg"] and site["target"].read_text() == OLD % site["port"]


def _previews(site):
    """pid -> command line of each nginx master of this test other than the live one (a preview)."""
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/cmdline" % name, "rb") as handle:
                    line = handle.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if line.startswith("nginx: master") and str(site["backups"]) in line:
                found[int(name)] = line
    return found


@root_only
@pytest.mark.parametrize("at", ["validation", "preview"])
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_deploy_killed_before_the_swap_leaves_nothing_and_the_next_run_deploys(site, tmp_path, at, how):
    files = [{"dest": str(site["link"]), "content": NEW % site["port"]},
             {"dest": str(site["dir"] / "conf.d" / "x.conf"), "content": "# x\n"}]
    work = None
    if at == "validation":
        code = _deploy_in_a_process(site, files, [], dry=True)
        options = json.loads(code[-1])
        options["nginx_binary"] = _slow_nginx(tmp_path, site, 20)
        proc = subprocess.Popen(code[:-1] + [json.dumps(options)], stdout=subprocess.PIPE, text=True)
        assert _wait_for(lambda: list(site["dir"].rglob(".preflight-stage-*")))
        time.sleep(0.5)  # in nginx -t now
    else:
        slow = [{"url": "http://127.0.0.1:%d/" % site["port"], "body_regex": "^old", "retries": 100, "delay": 0.2,
                 "timeout": 1}]
        proc = _deploy_in_a_process(site, files, slow, preview=True)
        assert _wait_for(lambda: _previews(site))  # the preview nginx is up
        time.sleep(0.5)
        with open(site["backups"] / "scratch" / "preview" / "state.json") as handle:
            work = json.load(handle)["work"]
        assert os.path.isdir(work)
    proc.send_signal(how)
    out, _err = proc.communicate(timeout=30)
    if how == signal.SIGTERM:
        result = json.loads(out)
        assert result["failed"] and not result["changed"] and "interrupted" in result["msg"], result["msg"]
        assert "nothing live was changed" in result["msg"], result["msg"]
    assert serves(site) == "old" and site["target"].read_text() == OLD % site["port"]
    assert not (site["dir"] / "conf.d" / "x.conf").exists()
    if how == signal.SIGTERM:
        assert _left_behind(site) == []
    assert _wait_for(lambda: not _previews(site)), _previews(site)
    result = run(site, files)
    assert not result["failed"], result["msg"]
    assert serves(site) == "new" and _left_behind(site) == []
    assert work is None or not os.path.exists(work)
    assert not _previews(site)
    assert os.listdir(site["backups"] / "scratch") == []


@root_only
def test_a_second_rename_that_fails_rolls_the_first_back(site):
    # conf.d/a.conf is swapped in first; the site file is immutable (chattr +i): its rename fails.
    first = site["dir"] / "conf.d" / "a.conf"
    first.write_text("# a, old\n")
    if subprocess.run(["chattr", "+i", str(site["target"])], check=False).returncode:
        pytest.skip("no chattr +i on this file system")
    try:
        result = run(site, [{"dest": str(first), "content": "# a, new\n"},
                            {"dest": str(site["link"]), "content": NEW % site["port"]}])
    finally:
        subprocess.run(["chattr", "-i", str(site["target"])], check=True)
    assert result["failed"] and result["msg"].startswith("rolled back: swap failed"), result["msg"]
    assert "nginx was not reloaded" in result["msg"], result["msg"]
    assert first.read_text() == "# a, old\n" and site["target"].read_text() == OLD % site["port"]
    assert serves(site) == "old" and _left_behind(site) == []
    assert transaction.active(str(site["backups"])) is None


def test_removing_a_file_an_include_glob_matches_is_validated_without_it(site):
    # The site needs the upstream conf.d/up.conf defines: removing it must be refused by nginx -t on
    # the staged tree (where the glob no longer matches it), and the file stays.
    backend = free_port()
    up = site["dir"] / "conf.d" / "up.conf"
    up.write_text("upstream app {\n    server 127.0.0.1:%d;\n}\n" % backend)
    site["target"].write_text('server {\n    listen 127.0.0.1:%d;\n    location / { return 200 "old\\n"; }\n'
                              '    location /app { proxy_pass http://app; }\n}\n' % site["port"])
    _reload(site)
    result = run(site, [{"dest": str(up), "state": "absent"}], health_checks=[])
    assert result["failed"] and result["msg"].startswith("blocked: validation failed"), result["msg"]
    assert up.exists() and serves(site) == "old" and _left_behind(site) == []


def test_removing_a_file_an_include_glob_matches_comes_back_with_the_rollback(site):
    extra = site["dir"] / "conf.d" / "extra.conf"
    extra.write_text('map $uri $extra {\n    default "x";\n}\n')
    _reload(site)
    result = run(site, [{"dest": str(extra), "state": "absent"},
                        {"dest": str(site["link"]), "content": NEW % site["port"]}], preview=False,
                 health_checks=[{"url": "http://127.0.0.1:%d/" % site["port"], "body_regex": "^old", "retries": 0}])
    assert result["failed"] and result["msg"].startswith("rolled back: health check failed"), result["msg"]
    assert extra.read_text() == 'map $uri $extra {\n    default "x";\n}\n' and serves(site) == "old"


@root_only
def test_a_deploy_killed_between_two_renames_is_undone_by_the_next_run(site):
    first = site["dir"] / "conf.d" / "a.conf"
    first.write_text("# a, old\n")
    files = [{"dest": str(first), "content": "# a, new\n"},
             {"dest": str(site["link"]), "content": NEW % site["port"]}]
    argv = _deploy_in_a_process(site, files, [], dry=True)
    # The child stops for good just before the second rename (the site file): a SIGKILL lands between them.
    hold = ("import os, time\nreal = os.replace\n"
            "def replace(src, dst, **kw):\n"
            "    if os.path.basename(str(src)).startswith('.preflight-stage-') and str(dst).endswith('/shop'):\n"
            "        time.sleep(60)\n"
            "    return real(src, dst, **kw)\n"
            "os.replace = replace\n")
    argv[2] = hold + argv[2]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    assert _wait_for(lambda: first.read_text() == "# a, new\n")
    proc.kill()
    proc.wait(timeout=10)
    assert site["target"].read_text() == OLD % site["port"] and serves(site) == "old"
    assert _left_behind(site)  # the second staged file: only the next run can remove it
    result = run(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}])
    assert not result["failed"], result["msg"]
    assert "interrupted before its reload" in result["recovery"], result
    assert first.read_text() == "# a, old\n" and serves(site) == "new" and _left_behind(site) == []


def _role(site, dest, content):
    return site_role_tasks(site, [{"dest": dest, "content": content}],
                           [{"url": "http://127.0.0.1:%d/" % site["port"], "body_regex": "new", "retries": 0}])


def test_through_the_role_an_include_glob_on_the_staged_names_stops_with_its_reason(tmp_path, ansible_env, site):
    text = site["main"].read_text().replace("include conf.d/*.conf;", "include conf.d/*.conf;\n    include conf.d/.p*;")
    site["main"].write_text(text)
    _reload(site)
    tasks = _role(site, site["dir"] / "conf.d" / "new.conf", "# new\n")
    rc, results = playbook(tmp_path, ansible_env, tasks)
    assert rc == 2, results
    assert "the include conf.d/.p* (" in results[-1]["msg"] and "Traceback" not in json.dumps(results)
    assert not (site["dir"] / "conf.d" / "new.conf").exists() and _left_behind(site) == []


def test_through_the_role_a_port_another_process_holds_is_rolled_back(tmp_path, ansible_env, site):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    try:
        content = NEW % site["port"] + 'server { listen 127.0.0.1:%d; return 200 "x"; }\n' % holder.getsockname()[1]
        rc, results = playbook(tmp_path, ansible_env, _role(site, site["link"], content))
    finally:
        holder.close()
    assert rc == 2, results
    assert results[-1]["msg"].startswith("rolled back: reload failed"), results[-1]["msg"]
    assert serves(site) == "old" and site["target"].read_text() == OLD % site["port"]


def test_a_deploy_killed_as_its_preview_folder_is_made_leaves_it_to_the_next_run(site):
    # SIGKILL right after the preview's work folder in /tmp is made (before its first chmod): the next
    # run must know it, or every such kill leaks a /tmp/preflight-preview-* folder.
    argv = _deploy_in_a_process(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}],
                                [{"url": "http://127.0.0.1:%d/" % site["port"], "retries": 0}], dry=True, preview=True)
    die = ("import os, signal\nreal = os.chmod\n"
           "def chmod(path, *a, **kw):\n"
           "    if os.path.basename(str(path)).startswith('preflight-preview-'):\n"
           "        with open(%r, 'w') as out: out.write(str(path))\n"
           "        os.kill(os.getpid(), signal.SIGKILL)\n"
           "    return real(path, *a, **kw)\n"
           "os.chmod = chmod\n" % str(site["backups"].parent / "work-made"))
    argv[2] = die + argv[2]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    work = (site["backups"].parent / "work-made").read_text()
    try:
        assert os.path.isdir(work)
        result = run(site, [{"dest": str(site["link"]), "content": NEW % site["port"]}])
        assert not result["failed"], result["msg"]
        assert not os.path.exists(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_relative_includes_are_read_from_the_config_folder_whatever_the_prefix(tmp_path, nginx):
    # As on Debian: prefix /usr/share/nginx, configuration /etc/nginx/nginx.conf, `include modules-enabled/*.conf`.
    conf = tmp_path / "etc"
    conf.mkdir()
    (conf / "nginx.conf").write_text("events {}\nhttp {\n    include extra.conf;\n}\n")
    (conf / "extra.conf").write_text("upstream u {\n    server 0:80;\n}\n")
    proc = subprocess.run([nginx, "-t", "-c", str(conf / "nginx.conf"), "-p", str(tmp_path) + "/"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr  # nginx reads etc/extra.conf
    loaded = nginx_config.load(str(conf / "nginx.conf"), prefix=str(tmp_path))
    assert loaded.problems == [] and str(conf / "extra.conf") in loaded.files


@pytest.mark.parametrize("body, blocked", [("return 200 blog;", False), ("proxy_pass http://0:8082;", True)])
def test_a_new_site_enabled_by_a_new_link_is_validated_through_the_link(site, body, blocked):
    port = free_port()
    available = site["dir"] / "sites-available" / "blog"
    enabled = site["dir"] / "sites-enabled" / "blog"
    files = [{"dest": str(available), "content": "server { listen 127.0.0.1:%d; %s }\n" % (port, body)},
             {"dest": str(enabled), "state": "link", "link": str(available)}]
    result = run(site, files, health_checks=[{"url": "http://127.0.0.1:%d/" % port, "retries": 0}])
    if blocked:
        assert result["failed"] and result["msg"].startswith("blocked: validation failed"), result["msg"]
        assert not os.path.lexists(enabled) and not available.exists()
    else:
        assert not result["failed"], result["msg"]
        assert _answers(site, port) == "blog"
    assert serves(site) == "old" and _left_behind(site) == []
