"""The inputs users really have, through real ansible-playbook: template validate, site files,
staged trees under a root, nginx -T on the host, Docker templates."""

import os
import stat
import subprocess
import sys

import pytest

from tests.functional.test_ansible import playbook

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI_MODULE = "ansible_collections.preflight.nginx.plugins.module_utils.cli.main"
SITE = "upstream shop {\n    server {{ shop_backend }};\n}\nserver {\n    listen 80;\n" \
       "    location / {\n        proxy_pass http://shop;\n    }\n}\n"


@pytest.fixture
def command_env(tmp_path, ansible_env):
    """ansible_env with an nginx-preflight command on PATH that runs this checkout."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "nginx-preflight"
    script.write_text('#!/bin/sh\nPYTHONPATH=%s exec %s -m %s "$@"\n'
                      % (os.path.join(ROOT, ".build", "collections"), sys.executable, CLI_MODULE))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return dict(ansible_env, PATH=str(bin_dir) + os.pathsep + ansible_env["PATH"])


def test_template_validate_refuses_the_incident_in_a_site_file(tmp_path, command_env):
    (tmp_path / "shop.conf.j2").write_text(SITE)
    dest = tmp_path / "conf.d" / "shop.conf"
    dest.parent.mkdir()
    tasks = """
    - ansible.builtin.template:
        src: %s/shop.conf.j2
        dest: %s
        mode: "0644"
        validate: nginx-preflight check %%s
      vars:
        shop_backend: "{{ backend }}"
""" % (tmp_path, dest)
    rc, results = playbook(tmp_path, command_env, tasks, extra=("-e", "backend=0:8080"))
    assert rc == 2 and results[0]["failed"]
    assert ":2: error[unspecified-connect-address]" in results[0]["stdout"] + results[0].get("msg", "")
    assert not dest.exists()
    rc, results = playbook(tmp_path, command_env, tasks, extra=("-e", "backend=127.0.0.1:8080"))
    assert rc == 0, results
    assert "server 127.0.0.1:8080;" in dest.read_text()


def test_validate_checks_a_site_file_a_staged_root_and_a_template(tmp_path, ansible_env):
    site = tmp_path / "sites-available" / "shop"
    site.parent.mkdir()
    site.write_text(SITE.replace("{{ shop_backend }}", "0:8080"))
    stage = tmp_path / "stage"
    (stage / "etc" / "nginx" / "conf.d").mkdir(parents=True)
    (stage / "etc" / "nginx" / "nginx.conf").write_text("events {}\nhttp {\n    include /etc/nginx/conf.d/*;\n}\n")
    (stage / "etc" / "nginx" / "conf.d" / "shop.conf").write_text(SITE.replace("{{ shop_backend }}", "0:8080"))
    template = tmp_path / "default.conf.template"
    template.write_text("server {\n    listen 80;\n    location / { proxy_pass http://${BACKEND_HOST}:8080; }\n}\n")
    env_file = tmp_path / "shop.env"
    env_file.write_text("BACKEND_HOST=0\n")
    tasks = """
    - name: A site file on its own
      preflight.nginx.validate:
        path: %s
      ignore_errors: true
    - name: A staged copy with absolute includes
      preflight.nginx.validate:
        path: %s/etc/nginx/nginx.conf
        root: %s
      ignore_errors: true
    - name: A Docker template with its env file
      preflight.nginx.validate:
        path: %s
        template_env_files: [%s]
      ignore_errors: true
    - name: The same template with a good value
      preflight.nginx.validate:
        path: %s
        template_variables:
          BACKEND_HOST: 10.0.0.5
    - name: A root with nginx -t is refused by name
      preflight.nginx.validate:
        path: %s/etc/nginx/nginx.conf
        root: %s
        nginx_test: true
      ignore_errors: true
""" % (site, stage, stage, template, env_file, template, stage, stage)
    rc, results = playbook(tmp_path, ansible_env, tasks)
    assert rc == 0, results
    assert [(f["file"], f["line"]) for f in results[0]["findings"]] == [(str(site), 2)]
    assert [(f["file"], f["line"]) for f in results[1]["findings"]] == [("/etc/nginx/conf.d/shop.conf", 2)]
    assert results[2]["failed"] and results[2]["findings"][0]["line"] == 3
    assert results[2]["findings"][0]["message"].startswith('BACKEND_HOST=0 makes "location / {')
    assert not results[3].get("failed") and results[3]["findings"] == []
    assert results[4]["failed"]
    assert results[4]["msg"].startswith("nginx_test: nginx -t cannot check a tree under a root")


@pytest.mark.nginx
def test_validate_and_config_info_read_what_nginx_reads(tmp_path, ansible_env, nginx):
    (tmp_path / "conf.d").mkdir()
    main = tmp_path / "nginx.conf"
    main.write_text("events {}\nhttp {\n    include %s/conf.d/*.conf;\n}\n" % tmp_path)
    (tmp_path / "conf.d" / "shop.conf").write_text(SITE.replace("{{ shop_backend }}", "0:8080"))
    tasks = """
    - preflight.nginx.validate:
        path: %s
        source: nginx_dump
        nginx_binary: %s
      ignore_errors: true
    - preflight.nginx.config_info:
        path: %s
        source: nginx_dump
        nginx_binary: %s
""" % (main, nginx, main, nginx)
    rc, results = playbook(tmp_path, ansible_env, tasks)
    assert rc == 0, results
    assert [(f["file"], f["line"], f["rule"]) for f in results[0]["findings"]] == [
        (str(tmp_path / "conf.d" / "shop.conf"), 2, "unspecified-connect-address")]
    assert results[1]["upstreams"][0]["servers"][0]["display"] == "0.0.0.0:8080"
    assert results[1]["files"] == [str(main), str(tmp_path / "conf.d" / "shop.conf")]


def test_pre_commit_hooks_run_as_pre_commit_would(tmp_path):
    import yaml

    with open(os.path.join(ROOT, ".pre-commit-hooks.yaml"), encoding="utf-8") as handle:
        hooks = {hook["id"]: hook for hook in yaml.safe_load(handle)}
    assert set(hooks) == {"nginx-preflight", "nginx-preflight-tree", "nginx-preflight-endpoints"}
    site = tmp_path / "shop.conf"
    site.write_text(SITE.replace("{{ shop_backend }}", "0:8080"))
    bin_dir = os.path.dirname(sys.executable)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "collections"))

    def hook_run(hook, files):
        entry = hook["entry"].split()
        command = [sys.executable, "-m", CLI_MODULE] + entry[1:]
        assert entry[0] == "nginx-preflight" and os.path.exists(os.path.join(bin_dir, "nginx-preflight"))
        return subprocess.run(command + hook.get("args", []) + files, env=env, capture_output=True, text=True,
                              check=False)

    proc = hook_run(hooks["nginx-preflight"], [str(site)])
    assert proc.returncode == 1 and "shop.conf:2: error[unspecified-connect-address]" in proc.stdout
    site.write_text(SITE.replace("{{ shop_backend }}", "127.0.0.1:8080"))
    assert hook_run(hooks["nginx-preflight"], [str(site)]).returncode == 0
    assert hooks["nginx-preflight-tree"]["pass_filenames"] is False
    # changed scripts, units, crontabs...: each reviewed; a file of no known kind is passed over quietly
    script = tmp_path / "warm.sh"
    script.write_text("#!/bin/sh\ncurl -fsS http://0:80/health\n")
    (tmp_path / "README.md").write_text("curl http://0:80/\n")
    proc = hook_run(hooks["nginx-preflight-endpoints"], [str(script), str(tmp_path / "README.md")])
    assert proc.returncode == 1 and "warm.sh:2: error[unspecified-connect-address]" in proc.stdout, proc.stderr
    script.write_text("#!/bin/sh\ncurl -fsS http://127.0.0.1:80/health\n")
    proc = hook_run(hooks["nginx-preflight-endpoints"], [str(script), str(tmp_path / "README.md")])
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
