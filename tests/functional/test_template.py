"""preflight.nginx.template through real ansible-playbook: rendered and checked on the controller, the
target (a Python without crossplane) touched only by the copy of a file that passed; and
ansible.builtin.template with validate: nginx-preflight check --as."""

import os
import sys

import pytest

from tests.conftest import COLLECTIONS
from tests.functional import test_bare_target
from tests.functional.test_ansible import playbook
from tests.functional.test_http_check import free_port

bare_python = test_bare_target.bare_python  # the fixture: Debian's /usr/bin/python3, without crossplane

INCIDENT = "upstream app {\n    server {{ backend }};\n}\nserver {\n    listen 8080;\n" \
           "    location / { proxy_pass http://app; }\n}\n"


@pytest.fixture
def bare_env(ansible_env, bare_python):
    return dict(ansible_env, ANSIBLE_PYTHON_INTERPRETER=bare_python)


def test_a_failing_template_is_refused_on_the_controller_and_nothing_is_written(tmp_path, bare_env):
    (tmp_path / "app.conf.j2").write_text(
        "{% for port in ports %}\nserver {\n    listen {{ port }};\n}\n{% endfor %}\n" + INCIDENT)
    dest = tmp_path / "live" / "app.conf"
    tasks = """
    - preflight.nginx.template:
        src: %(tmp)s/app.conf.j2
        dest: %(dest)s
      vars: {backend: "0:80", ports: [8081, 8082]}
      ignore_errors: true
    - preflight.nginx.template:
        src: %(tmp)s/app.conf.j2
        dest: %(dest)s
      vars: {backend: "0:80", ports: [8081, 8082]}
      check_mode: true
      ignore_errors: true
    - name: a dest folder gets the file under the template's name, as with copy
      preflight.nginx.template:
        src: %(tmp)s/app.conf.j2
        dest: %(tmp)s/live/
      vars: {backend: "0:80", ports: [8081, 8082]}
      ignore_errors: true
""" % {"tmp": tmp_path, "dest": dest}
    rc, results = playbook(tmp_path, bare_env, tasks)
    assert rc == 0, results
    assert results[2]["failed"] and results[2]["findings"][0]["file"] == "%s/live/app.conf.j2" % tmp_path
    for result in results[:2]:
        assert result["failed"] and not result["changed"]
        assert result["msg"].startswith("%s/app.conf.j2 rendered for %s has 1 finding at or above error; nothing "
                                        "was written on the host:" % (tmp_path, dest))
        # Line 8 of the rendered file (the loop made six lines of three), line 7 of the template.
        assert "\n%s:8: error[unspecified-connect-address] upstream server: \"0\" is the unspecified" % dest \
            in result["msg"]
        assert "(template line 7)" in result["msg"]
        assert [(f["file"], f["line"], f["template_line"], f["rule"]) for f in result["findings"]] == [
            (str(dest), 8, 7, "unspecified-connect-address")]
        assert result["counts"]["error"] == 1
        assert "ansible-tmp" not in result["msg"]
    assert not (tmp_path / "live").exists()


def test_a_refused_template_never_contacts_the_target(tmp_path, ansible_env):
    """The host is an ssh target where nothing listens: the refusal comes before any connection."""
    (tmp_path / "app.conf.j2").write_text(INCIDENT)
    inventory = tmp_path / "hosts"
    inventory.write_text("localhost ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=%d "
                         "ansible_ssh_common_args='-o ConnectTimeout=5'\n" % free_port())
    tasks = """
    - preflight.nginx.template: {src: %(tmp)s/app.conf.j2, dest: /tmp/never.conf}
      vars: {backend: "0:80"}
      ignore_errors: true
    - preflight.nginx.template: {src: %(tmp)s/app.conf.j2, dest: /tmp/never.conf}
      vars: {backend: "127.0.0.1:80"}
""" % {"tmp": tmp_path}
    _rc, results = playbook(tmp_path, ansible_env, tasks, extra=("-i", str(inventory)))
    assert results[0]["failed"] and "unreachable" not in results[0]
    assert results[0]["findings"][0]["rule"] == "unspecified-connect-address"
    assert results[1].get("unreachable"), results[1]  # the good one did try to connect: the test can tell


def test_a_good_template_is_copied_with_its_attributes_then_unchanged(tmp_path, bare_env):
    (tmp_path / "app.conf.j2").write_text(INCIDENT)
    dest = tmp_path / "live" / "app.conf"
    dest.parent.mkdir()
    owner = "nobody" if os.geteuid() == 0 else None
    tasks = """
    - name: check mode writes nothing
      preflight.nginx.template: {src: %(tmp)s/app.conf.j2, dest: %(dest)s, mode: "0640"}
      check_mode: true
    - name: copied
      preflight.nginx.template: {src: %(tmp)s/app.conf.j2, dest: %(dest)s, mode: "0640"%(owner)s}
    - name: copied again
      preflight.nginx.template: {src: %(tmp)s/app.conf.j2, dest: %(dest)s, mode: "0640"%(owner)s}
    - name: what is ignored, or below fail_on, does not stop the copy and is still returned
      preflight.nginx.template: {src: %(tmp)s/app.conf.j2, dest: %(tmp)s/live/ignored.conf, ignore: [%(rule)s]}
      vars: {backend: "0:80"}
    - preflight.nginx.template: {src: %(tmp)s/app.conf.j2, dest: %(tmp)s/live/reported.conf, fail_on: never}
      vars: {backend: "0:80"}
    - name: diff mode shows the change
      preflight.nginx.template: {src: %(tmp)s/app.conf.j2, dest: %(dest)s, mode: "0640"}
      vars: {backend: "127.0.0.2:80"}
      check_mode: true
      diff: true
  vars:
    backend: "127.0.0.1:80"
""" % {"tmp": tmp_path, "dest": dest, "owner": ", owner: %s" % owner if owner else "",
       "rule": "unspecified-connect-address"}
    rc, results = playbook(tmp_path, bare_env, tasks)
    assert rc == 0, results
    assert results[0]["changed"] and results[0]["findings"] == []
    assert [r["changed"] for r in results[1:3]] == [True, False]
    assert results[1]["findings"] == [] and results[1]["counts"] == {"error": 0, "warning": 0, "info": 0}
    assert results[1]["mode"] == "0640" and os.stat(dest).st_mode & 0o777 == 0o640
    if owner:
        assert results[1]["owner"] == owner and results[2]["owner"] == owner
    assert dest.read_text() == INCIDENT.replace("{{ backend }}", "127.0.0.1:80")
    assert results[3]["changed"] and results[3]["findings"] == []
    assert results[4]["changed"] and [f["line"] for f in results[4]["findings"]] == [2]
    assert (tmp_path / "live" / "reported.conf").exists()
    diff = results[5]["diff"][0]
    assert "127.0.0.1:80" in diff["before"] and "127.0.0.2:80" in diff["after"]
    assert dest.read_text() == INCIDENT.replace("{{ backend }}", "127.0.0.1:80")


def _tree(tmp_path, name, upstream):
    """A controller-side copy of /etc/nginx: nginx.conf including conf.d/*.conf, one site already there."""
    tree = tmp_path / name
    (tree / "conf.d").mkdir(parents=True)
    (tree / "nginx.conf").write_text("events {}\nhttp {\n    include conf.d/*.conf;\n}\n")
    (tree / "conf.d" / "shop.conf").write_text(
        (upstream + "\n" if upstream else "") +
        "server {\n    listen 8090 default_server;\n    location / { return 200; }\n}\n")
    return tree


def test_in_context_the_rest_of_the_tree_counts(tmp_path, bare_env):
    (tmp_path / "site.conf.j2").write_text(
        "server {\n    listen {{ port }} default_server;\n    location / { fastcgi_pass php; }\n}\n")
    with_php = _tree(tmp_path, "with-php", "upstream php { server 127.0.0.1:9000; }")
    without_php = _tree(tmp_path, "without-php", None)
    rootfs = tmp_path / "rootfs" / "etc"
    rootfs.mkdir(parents=True)
    os.rename(_tree(tmp_path, "nginx", "upstream php { server 127.0.0.1:9000; }"), rootfs / "nginx")
    dest = tmp_path / "live" / "site.conf"
    tasks = """
    - name: alone, nothing to say
      preflight.nginx.template: {src: %(tmp)s/site.conf.j2, dest: %(dest)s}
      vars: {port: 8090}
      check_mode: true
    - name: the upstream is defined in another file of the tree
      preflight.nginx.template: {src: %(tmp)s/site.conf.j2, dest: /etc/nginx/conf.d/site.conf, config: %(with)s}
      vars: {port: 8091}
      check_mode: true
    - name: a tree where it is not
      preflight.nginx.template: {src: %(tmp)s/site.conf.j2, dest: /etc/nginx/conf.d/site.conf, config: %(without)s}
      vars: {port: 8091}
      check_mode: true
      ignore_errors: true
    - name: a default server another file of the tree has too
      preflight.nginx.template:
        src: %(tmp)s/site.conf.j2
        dest: /etc/nginx/conf.d/site.conf
        config: %(with)s/nginx.conf
      vars: {port: 8090}
      check_mode: true
      ignore_errors: true
    - name: the same under a root standing for /
      preflight.nginx.template: {src: %(tmp)s/site.conf.j2, dest: /etc/nginx/conf.d/site.conf, root: %(rootfs)s}
      vars: {port: 8090}
      check_mode: true
      ignore_errors: true
    - name: a dest the tree does not include is checked on its own, with a warning
      preflight.nginx.template: {src: %(tmp)s/site.conf.j2, dest: /etc/nginx/sites-available/site, config: %(with)s}
      vars: {port: 8090}
      check_mode: true
""" % {"tmp": tmp_path, "dest": dest, "with": with_php, "without": without_php, "rootfs": tmp_path / "rootfs"}
    rc, results = playbook(tmp_path, bare_env, tasks)
    assert rc == 0, results
    assert results[0]["findings"] == [] and results[0]["changed"]
    assert results[1]["findings"] == [] and results[1]["changed"]
    assert results[2]["failed"]
    assert [(f["file"], f["line"], f["rule"]) for f in results[2]["findings"]] == [
        ("/etc/nginx/conf.d/site.conf", 3, "unknown-upstream")]
    for result in results[3:5]:
        assert result["failed"]
        assert [(f["file"], f["rule"]) for f in result["findings"]] == [
            ("/etc/nginx/conf.d/site.conf", "duplicate-default-server")]
        assert "(the first is at /etc/nginx/conf.d/shop.conf:3)" in result["msg"]
    assert results[5]["findings"] == [] and not results[5]["failed"]
    assert any("/etc/nginx/sites-available/site is not included by /etc/nginx/nginx.conf" in w
               for w in results[5]["warnings"])
    assert not (tmp_path / "live").exists()
    assert sorted(os.listdir(with_php / "conf.d")) == ["shop.conf"]  # the copy is not changed


def test_renders_exactly_as_ansible_builtin_template(tmp_path, bare_env):
    (tmp_path / "odd.conf.j2").write_text(
        "# [[ template_path ]]\n"
        "{% for port in ports %}\n"
        "    {% if port > 0 %}\n"
        "server { listen [[ port ]]; }\n"
        "    {% endif %}\n"
        "{% endfor %}\n"
        "{# a comment #}\n")
    options = ("trim_blocks: false\n        lstrip_blocks: true\n        variable_start_string: '[['\n"
               "        variable_end_string: ']]'\n        newline_sequence: '\\r\\n'")
    tasks = """
    - ansible.builtin.template:
        src: %(tmp)s/odd.conf.j2
        dest: %(tmp)s/builtin.conf
        %(options)s
    - preflight.nginx.template:
        src: %(tmp)s/odd.conf.j2
        dest: %(tmp)s/ours.conf
        %(options)s
  vars: {ports: [8081, 8082]}
""" % {"tmp": tmp_path, "options": options}
    rc, results = playbook(tmp_path, bare_env, tasks)
    assert rc == 0, results
    ours = (tmp_path / "ours.conf").read_bytes()
    assert ours == (tmp_path / "builtin.conf").read_bytes()
    assert b"\r\nserver { listen 8081; }\r\n" in ours and b"[[" not in ours
    assert results[0]["checksum"] == results[1]["checksum"]


def test_a_template_that_does_not_render_and_bad_arguments_get_clear_errors(tmp_path, bare_env):
    (tmp_path / "app.conf.j2").write_text(INCIDENT)
    dest = tmp_path / "live" / "app.conf"
    tasks = """
    - preflight.nginx.template: {src: %(tmp)s/app.conf.j2, dest: %(dest)s}
      ignore_errors: true
    - preflight.nginx.template: {src: %(tmp)s/app.conf.j2, dest: %(dest)s, context: nowhere}
      vars: {backend: "127.0.0.1:80"}
      ignore_errors: true
    - preflight.nginx.template: {src: %(tmp)s/app.conf.j2, dest: %(dest)s, fail_on: sometimes}
      vars: {backend: "127.0.0.1:80"}
      ignore_errors: true
    - preflight.nginx.template: {src: %(tmp)s/app.conf.j2, dest: %(dest)s, select: [no-such-rule]}
      vars: {backend: "127.0.0.1:80"}
      ignore_errors: true
    - preflight.nginx.template: {src: %(tmp)s/app.conf.j2, dest: %(dest)s, config: %(tmp)s/nowhere}
      vars: {backend: "127.0.0.1:80"}
      ignore_errors: true
    - preflight.nginx.template: {src: %(tmp)s/missing.j2, dest: %(dest)s}
      ignore_errors: true
""" % {"tmp": tmp_path, "dest": dest}
    rc, results = playbook(tmp_path, bare_env, tasks)
    assert rc == 0, results
    assert all(result["failed"] for result in results)
    assert "'backend' is undefined" in results[0]["msg"]
    assert "context" in results[1]["msg"] and "nowhere" in results[1]["msg"]
    assert "fail_on" in results[2]["msg"] and "sometimes" in results[2]["msg"]
    assert results[3]["msg"].startswith("select: unknown rule id: no-such-rule")
    assert results[4]["msg"].startswith("config: ") and "nowhere" in results[4]["msg"]
    assert "missing.j2" in results[5]["msg"]
    assert not (tmp_path / "live").exists()


def test_builtin_template_validate_with_as_names_the_dest(tmp_path, ansible_env):
    """The validate: form, for users who keep ansible.builtin.template: the CLI runs on the target."""
    (tmp_path / "app.conf.j2").write_text(INCIDENT)
    live = tmp_path / "live"
    live.mkdir()
    cli = "env PYTHONPATH=%s %s -m ansible_collections.preflight.nginx.plugins.module_utils.cli.main" % (
        COLLECTIONS, sys.executable)
    tasks = """
    - ansible.builtin.template:
        src: %(tmp)s/app.conf.j2
        dest: %(live)s/app.conf
        validate: "%(cli)s check --as %(live)s/app.conf %%s"
      vars: {backend: "0:80"}
      ignore_errors: true
    - ansible.builtin.template:
        src: %(tmp)s/app.conf.j2
        dest: %(live)s/app.conf
        validate: "%(cli)s check --as %(live)s/app.conf %%s"
      vars: {backend: "127.0.0.1:80"}
""" % {"tmp": tmp_path, "live": live, "cli": cli}
    rc, results = playbook(tmp_path, ansible_env, tasks)
    assert rc == 0, results
    assert results[0]["failed"] and "failed to validate" in results[0]["msg"]
    assert "%s/app.conf:2: error[unspecified-connect-address]" % live in results[0]["stderr"]
    assert "ansible-tmp" not in results[0]["stderr"] and ".source" not in results[0]["stderr"]
    assert results[1]["changed"] and (live / "app.conf").exists()
