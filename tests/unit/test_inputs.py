"""What users really check: site files, repo copies of /etc/nginx, stdin, nginx -T dumps, templates.

Each input kind is one loader; the incident (an upstream at 0) must be an error at the
right file and line in every one of them, and the fixed version must pass.
"""

import io
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils import engine, nginx_config
from ansible_collections.preflight.nginx.plugins.module_utils.cli import main as cli
from ansible_collections.preflight.nginx.plugins.module_utils.host import deploy
from ansible_collections.preflight.nginx.plugins.module_utils.source import Source

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")

SITE = """upstream shop {
    server 0:8080;
}
server {
    listen 80;
    server_name shop.example.com;
    location / {
        proxy_pass http://shop;
    }
}
"""
FIXED_SITE = SITE.replace("0:8080", "127.0.0.1:8080")


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def run_process(*argv, stdin=b""):
    """The command line as a separate process (standard input included)."""
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    proc = subprocess.run([sys.executable, "-m", "ansible_collections.preflight.nginx.plugins.module_utils.cli.main"]
                          + list(argv), input=stdin, capture_output=True, env=env, check=False)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def places(out):
    return [(os.path.basename(f["file"]), f["line"], f["rule"]) for f in json.loads(out)["findings"]]


# --- site files: no http {} around them ------------------------------------------------------------

@pytest.mark.parametrize("name", ["conf.d/shop.conf", "sites-available/shop"])
def test_a_site_file_on_its_own_has_the_incident_at_its_line(tmp_path, name):
    path = tmp_path / name
    path.parent.mkdir()
    path.write_text(SITE)
    code, out, _err = run("check", "--format", "json", str(path))
    assert code == 1 and places(out) == [(os.path.basename(name), 2, "unspecified-connect-address")]
    path.write_text(FIXED_SITE)
    assert run("check", str(path))[0] == 0


@pytest.mark.parametrize("text, context", [
    (SITE, "http"),
    ("server {\n    listen 5000;\n    proxy_pass 127.0.0.1:5001;\n}\n", "stream"),
    ("location /api/ {\n    proxy_pass http://127.0.0.1:8081;\n}\nlisten 8080;\n", "server"),
    ("proxy_pass http://127.0.0.1:8081;\nproxy_set_header Host $host;\n", "location"),
    ("events {}\nhttp {\n}\n", "main"),
    ("user www-data;\nworker_processes auto;\n", "main"),
])
def test_the_context_of_a_file_is_guessed_from_what_it_holds(tmp_path, text, context):
    path = tmp_path / "part.conf"
    path.write_text(text)
    assert nginx_config.load(str(path), context="auto").context == context


def test_a_server_level_snippet_with_the_incident(tmp_path):
    # RHEL's default.d/*.conf are included inside the default server.
    path = tmp_path / "app.conf"
    path.write_text("location /app/ {\n    proxy_pass http://0:8082;\n}\n")
    code, out, _err = run("check", "--format", "json", str(path))
    assert code == 1 and places(out) == [("app.conf", 2, "unspecified-connect-address")]
    assert run("check", "--context", "main", str(path))[0] == 0  # at top level nothing is a pass target


def test_a_wrong_context_is_a_usage_error(tmp_path, capsys):
    path = tmp_path / "x.conf"
    path.write_text(SITE)
    code, _out, _err = run("check", "--context", "hhtp", str(path))
    assert code == 2 and "invalid choice: 'hhtp'" in capsys.readouterr().err


# --- standard input ------------------------------------------------------------------------------

def test_standard_input_takes_a_fragment_or_a_main_file():
    code, out, _err = run_process("check", "--format", "json", "-", stdin=SITE.encode())
    assert code == 1 and places(out) == [("<stdin>", 2, "unspecified-connect-address")]
    main = "events {}\nhttp {\n" + FIXED_SITE + "}\n"
    code, out, _err = run_process("check", "-", stdin=main.encode())
    assert code == 0 and out.startswith("no problems found")


def test_standard_input_can_be_read_once_only():
    code, _out, err = run("check", "-", "-")
    assert code == 2 and "only once" in err


# --- nginx -T dumps ------------------------------------------------------------------------------

@pytest.fixture
def debian_tree(tmp_path):
    """A Debian-style tree: absolute includes, sites-enabled links into sites-available."""
    etc = tmp_path / "etc" / "nginx"
    for folder in ("conf.d", "sites-available", "sites-enabled", "snippets"):
        (etc / folder).mkdir(parents=True)
    (etc / "nginx.conf").write_text(
        "events {}\nhttp {\n    include /etc/nginx/conf.d/*.conf;\n    include /etc/nginx/sites-enabled/*;\n}\n")
    (etc / "snippets" / "proxy.conf").write_text("proxy_set_header Host $host;\n")
    (etc / "sites-available" / "shop").write_text(SITE.replace(
        "proxy_pass", "include /etc/nginx/snippets/proxy.conf;\n        proxy_pass"))
    os.symlink("/etc/nginx/sites-available/shop", str(etc / "sites-enabled" / "shop"))
    return tmp_path


@pytest.mark.nginx
def test_nginx_dump_findings_carry_the_real_file_and_line(tmp_path, nginx):
    (tmp_path / "conf.d").mkdir()
    main = tmp_path / "nginx.conf"
    main.write_text("events {}\nhttp {\n    include %s/conf.d/*.conf;\n}\n" % tmp_path)
    (tmp_path / "conf.d" / "a.conf").write_text("# first\n" + FIXED_SITE.replace("shop", "a"))
    (tmp_path / "conf.d" / "b.conf").write_text("\n\n" + SITE)
    dump = subprocess.run([nginx, "-T", "-c", str(main)], capture_output=True, check=False).stdout
    assert b"# configuration file " in dump  # nginx -t accepts the incident: that is the point
    code, out, _err = run_process("check", "--format", "json", "-", stdin=dump)
    findings = json.loads(out)["findings"]
    assert code == 1
    assert [(f["file"], f["line"], f["rule"]) for f in findings] == [
        (str(tmp_path / "conf.d" / "b.conf"), 4, "unspecified-connect-address")]
    # The same dump from a file, recognised by itself or named with --dump.
    saved = tmp_path / "dump.txt"
    saved.write_bytes(dump)
    assert places(run("check", "--format", "json", str(saved))[1]) == [("b.conf", 4, "unspecified-connect-address")]
    assert run("check", "--dump", str(saved))[0] == 1


def test_split_dump_keeps_each_file_byte_for_byte():
    dump = ("nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
            "# configuration file /etc/nginx/nginx.conf:\nevents {}\nhttp { include /etc/nginx/x.conf; }\n\n"
            "# configuration file /etc/nginx/x.conf:\nserver { listen 80; }\n")
    assert nginx_config.split_dump(dump) == [
        ("/etc/nginx/nginx.conf", "events {}\nhttp { include /etc/nginx/x.conf; }\n"),
        ("/etc/nginx/x.conf", "server { listen 80; }")]
    assert nginx_config.is_dump(dump) and not nginx_config.is_dump(SITE)


def test_a_file_that_is_no_dump_is_refused_as_such():
    with pytest.raises(engine.ConfigLoadError, match="not nginx -T output"):
        engine.check(Source.dump("server { listen 80; }\n"))


# --- repo copies of /etc/nginx: --root ------------------------------------------------------------------

def test_root_reads_the_repository_tree_not_the_machines(debian_tree):
    main = debian_tree / "etc" / "nginx" / "nginx.conf"
    code, out, _err = run("check", "--format", "json", "--root", str(debian_tree), str(main))
    data = json.loads(out)
    assert code == 1
    assert [(f["file"], f["line"], f["rule"]) for f in data["findings"]] == [
        ("/etc/nginx/sites-enabled/shop", 2, "unspecified-connect-address")]
    assert "/etc/nginx/snippets/proxy.conf" in data["files"]
    (debian_tree / "etc" / "nginx" / "sites-available" / "shop").write_text(FIXED_SITE)
    assert run("check", "--root", str(debian_tree), str(main))[0] == 0


def test_root_must_hold_the_main_file(debian_tree, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    code, _out, err = run("check", "--root", str(other), str(debian_tree / "etc" / "nginx" / "nginx.conf"))
    assert code == 2 and "is not under the root" in err


def test_root_and_nginx_t_do_not_mix(debian_tree):
    code, _out, err = run("check", "--nginx-t", "--root", str(debian_tree),
                          str(debian_tree / "etc" / "nginx" / "nginx.conf"))
    assert code == 2 and ("--root" in err or "not found" in err)


def _sarif_places(out):
    """(file the URI resolves to, line) of each SARIF result, as code scanning reads them."""
    run_ = json.loads(out)["runs"][0]
    bases = {name: base["uri"][len("file://"):] for name, base in run_.get("originalUriBaseIds", {}).items()}
    places = []
    for result in run_["results"]:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        uri = artifact["uri"]
        assert not uri.startswith("/") and "uriBaseId" in artifact, artifact
        places.append((os.path.join(bases[artifact["uriBaseId"]], uri),
                       result["locations"][0]["physicalLocation"]["region"]["startLine"], result["message"]["text"]))
    return places


def test_sarif_and_github_under_root_name_the_repository_files(debian_tree, monkeypatch):
    # Found in code scanning: under --root the alerts pointed at /etc/nginx/sites-enabled/shop, a file
    # the repository does not have, so GitHub showed them nowhere.
    monkeypatch.chdir(debian_tree)
    code, out, _err = run("check", "--format", "sarif", "--root", ".", "etc/nginx/nginx.conf")
    assert code == 1
    [(path, line, message)] = _sarif_places(out)
    # sites-enabled/shop is a link to /etc/nginx/sites-available/shop: the alert goes to the file behind it.
    assert path == str(debian_tree / "etc" / "nginx" / "sites-available" / "shop")
    with open(path) as handle:
        assert "server 0:8080" in handle.read().splitlines()[line - 1]
    assert "(/etc/nginx/sites-enabled/shop on the host)" in message
    code, out, _err = run("check", "--format", "github", "--root", str(debian_tree), "etc/nginx/nginx.conf")
    assert code == 1
    assert out.startswith("::error file=etc/nginx/sites-available/shop,line=2,")
    # The text and JSON reports keep the names nginx sees.
    assert json.loads(run("check", "--format", "json", "--root", ".", "etc/nginx")[1])["findings"][0]["file"] == \
        "/etc/nginx/sites-enabled/shop"


def test_sarif_and_github_of_a_plain_tree_are_unchanged(tmp_path, monkeypatch):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "nginx.conf").write_text("events {}\nhttp {\n    include conf.d/*.conf;\n}\n")
    (tmp_path / "conf.d" / "shop.conf").write_text(SITE)
    monkeypatch.chdir(tmp_path)
    [(path, line, message)] = _sarif_places(run("check", "--format", "sarif", "nginx.conf")[1])
    assert (path, line) == (str(tmp_path / "conf.d" / "shop.conf"), 2) and "on the host" not in message
    assert run("check", "--format", "github", "nginx.conf")[1].startswith("::error file=conf.d/shop.conf,line=2,")


def test_endpoints_under_root_annotate_the_copys_file(tmp_path, monkeypatch):
    (tmp_path / "etc" / "cron.d").mkdir(parents=True)
    (tmp_path / "etc" / "cron.d" / "probe").write_text("* * * * * root curl -s http://0:8080/health\n")
    monkeypatch.chdir(tmp_path)
    code, out, _err = run("endpoints", "--root", ".", "--format", "github", "/etc/cron.d/probe")
    assert code == 1 and out.startswith("::error file=etc/cron.d/probe,line=1,")


def test_gate_check_mode_judges_the_new_files_through_absolute_includes_and_links(debian_tree):
    etc = debian_tree / "etc" / "nginx"
    # The live tree names its own absolute paths (it is not under a root: it is the machine's).
    (etc / "nginx.conf").write_text(
        "events {}\nhttp {\n    include %s/sites-enabled/*;\n}\n" % etc)
    site = etc / "sites-available" / "shop"
    site.write_text(FIXED_SITE)
    os.unlink(str(etc / "sites-enabled" / "shop"))
    os.symlink(str(site), str(etc / "sites-enabled" / "shop"))
    settings = deploy.Settings(files=[{"dest": str(site), "content": SITE}], config=str(etc / "nginx.conf"),
                               nginx_test=False, probe_backends="none", backup_dir=str(debian_tree / "backups"))
    result = deploy.run(settings, run_command=None, check_mode=True)
    assert result["failed"], result
    assert "%s:2: error[unspecified-connect-address]" % (etc / "sites-enabled" / "shop") in result["msg"]
    assert site.read_text() == FIXED_SITE


# --- repo copies checked without --root: absolute includes never read this machine's files silently ---

def test_a_repository_copy_checked_without_root_is_read_under_its_root(debian_tree, monkeypatch):
    # Found on CI: "nginx-preflight check etc/nginx" on a repository copy said "no problems found ... in 3
    # files": include /etc/nginx/sites-enabled/* had read the runner's own /etc/nginx.
    monkeypatch.chdir(debian_tree)
    code, out, err = run("check", "--format", "json", "etc/nginx")
    data = json.loads(out)
    assert code == 1, err
    assert [(f["file"], f["line"], f["rule"]) for f in data["findings"]] == [
        ("/etc/nginx/sites-enabled/shop", 2, "unspecified-connect-address")]
    assert data["files"] == json.loads(run("check", "--format", "json", "--root", ".", "etc/nginx")[1])["files"]
    assert [(n["file"], n["line"]) for n in data["notes"]] == [("/etc/nginx/nginx.conf", 3)]
    assert data["notes"][0]["message"].startswith(
        "read /etc/nginx/conf.d/*.conf under %s (as --root %s): " % (debian_tree, debian_tree))
    code, out, _err = run("check", "etc/nginx")
    assert "/etc/nginx/nginx.conf:3: note: read /etc/nginx/conf.d/*.conf under %s" % debian_tree in out
    # Said once, and not at all when --root says it.
    assert out.count("note:") == 1
    assert json.loads(run("check", "--format", "json", "--root", ".", "etc/nginx")[1])["notes"] == []
    # The modules return the Report's dict: the note is there too.
    report = engine.check(Source.file(str(debian_tree / "etc" / "nginx" / "nginx.conf")))
    assert [note["line"] for note in report.as_dict()["notes"]] == [3]


@pytest.mark.nginx
def test_nginx_t_does_not_run_on_a_copy_read_under_its_root(debian_tree, nginx):
    report = engine.check_file(str(debian_tree / "etc" / "nginx" / "nginx.conf"), nginx_test=True, nginx_binary=nginx)
    assert report.nginx_test["ran"] is False and "read as a copy under %s" % debian_tree in report.nginx_test["reason"]
    assert [f.rule for f in report.findings] == ["unspecified-connect-address"]


def _copy_of(tmp_path, host_files, copy_files):
    """A folder standing for this machine's (``host``, under tmp_path) and a repository copy of it
    (``repo``): the copy's main file names the host's folder by its absolute path, as a real tree does."""
    host = tmp_path / "host" / "etc" / "nginx"
    copy = tmp_path / "repo" / str(host).lstrip("/")
    for base, files in ((host, host_files), (copy, copy_files)):
        for name, text in files.items():
            (base / name).parent.mkdir(parents=True, exist_ok=True)
            (base / name).write_text(text.replace("HOST", str(host)))
    return host, copy


def test_a_copy_without_the_included_folder_warns_that_this_machines_files_were_read(tmp_path):
    host, copy = _copy_of(tmp_path, {"conf.d/default.conf": "server {\n    listen 127.0.0.1:8080;\n}\n"},
                          {"nginx.conf": "events {}\nhttp {\n    include HOST/conf.d/*.conf;\n}\n"})
    code, out, err = run("check", "--format", "json", str(copy / "nginx.conf"))
    assert code == 0, err  # a warning: the default run does not fail on it
    data = json.loads(out)
    assert [(f["file"], f["line"], f["rule"], f["severity"]) for f in data["findings"]] == [
        (str(copy / "nginx.conf"), 3, "include-outside-tree", "warning")]
    finding = data["findings"][0]
    assert "read %s from this machine" % (host / "conf.d" / "default.conf") in finding["message"]
    assert "--root %s" % (tmp_path / "repo") in finding["hint"]
    assert data["notes"] == []
    assert run("check", "--fail-on", "warning", str(copy / "nginx.conf"))[0] == 1
    # With the folder in the copy, the copy is read under its root instead, with a note and no warning.
    (copy / "conf.d").mkdir()
    (copy / "conf.d" / "shop.conf").write_text(SITE)
    code, out, _err = run("check", "--format", "json", str(copy / "nginx.conf"))
    data = json.loads(out)
    assert code == 1
    assert [(f["file"], f["rule"]) for f in data["findings"]] == [
        (str(host / "conf.d" / "shop.conf"), "unspecified-connect-address")]
    assert len(data["notes"]) == 1 and "(as --root %s)" % (tmp_path / "repo") in data["notes"][0]["message"]


def test_a_copied_link_to_this_machines_file_is_no_silent_read_either(tmp_path):
    host, copy = _copy_of(tmp_path, {"sites-available/default": "server {\n    listen 127.0.0.1:8080;\n}\n"},
                          {"nginx.conf": "events {}\nhttp {\n    include sites-enabled/*;\n}\n"})
    (copy / "sites-enabled").mkdir()
    os.symlink(str(host / "sites-available" / "default"), str(copy / "sites-enabled" / "default"))
    code, out, _err = run("check", "--format", "json", str(copy / "nginx.conf"))
    assert code == 0
    assert [(f["line"], f["rule"]) for f in json.loads(out)["findings"]] == [(3, "include-outside-tree")]
    assert "the link %s to %s" % (copy / "sites-enabled" / "default", host / "sites-available" / "default") in \
        json.loads(out)["findings"][0]["message"]


def test_the_live_tree_and_its_includes_elsewhere_stay_silent(tmp_path):
    # On a real host the main file's folder is the tree: absolute includes into it, and into folders
    # it is no copy of (Debian's /usr/share/nginx/modules-enabled), are read as they are.
    etc = tmp_path / "etc" / "nginx"
    modules = tmp_path / "usr" / "share" / "nginx" / "modules-enabled"
    for folder in (etc / "conf.d", modules):
        folder.mkdir(parents=True)
    (modules / "50-mod.conf").write_text("# load_module would be here\n")
    (etc / "conf.d" / "shop.conf").write_text(FIXED_SITE)
    (etc / "nginx.conf").write_text("include %s/*.conf;\nevents {}\nhttp {\n    include %s/conf.d/*.conf;\n}\n"
                                    % (modules, etc))
    loaded = nginx_config.load(str(etc / "nginx.conf"))
    assert loaded.problems == [] and loaded.notes == []
    assert loaded.files == [str(etc / "nginx.conf"), str(modules / "50-mod.conf"), str(etc / "conf.d" / "shop.conf")]
    code, out, _err = run("check", "--format", "json", str(etc / "nginx.conf"))
    assert code == 0 and json.loads(out)["findings"] == [] and json.loads(out)["notes"] == []


# --- relative includes and -p ------------------------------------------------------------------------

def test_relative_includes_start_at_the_config_folder_not_the_prefix(tmp_path):
    # As on Debian: prefix /usr/share/nginx, configuration /etc/nginx/nginx.conf, include modules-enabled/*.conf.
    etc, prefix = tmp_path / "etc" / "nginx", tmp_path / "usr" / "share" / "nginx"
    (etc / "modules-enabled").mkdir(parents=True)
    (prefix / "modules-enabled").mkdir(parents=True)
    (etc / "nginx.conf").write_text("include modules-enabled/*.conf;\nevents {}\nhttp {\n    include shop.conf;\n}\n")
    (etc / "modules-enabled" / "a.conf").write_text("# the real one\n")
    (prefix / "modules-enabled" / "b.conf").write_text("# nginx never reads this one\n")
    (etc / "shop.conf").write_text(SITE)
    loaded = nginx_config.load(str(etc / "nginx.conf"), prefix=str(prefix))
    assert loaded.files == [str(etc / "nginx.conf"), str(etc / "modules-enabled" / "a.conf"), str(etc / "shop.conf")]
    assert loaded.problems == []
    assert loaded.prefix == str(prefix) and loaded.include_base == str(etc)
    code, out, _err = run("check", "--format", "json", "--prefix", str(prefix), str(etc / "nginx.conf"))
    assert code == 1 and places(out) == [("shop.conf", 2, "unspecified-connect-address")]
    # A missing include names where nginx looked: the config folder.
    (etc / "nginx.conf").write_text("events {}\ninclude nowhere.conf;\n")
    code, out, _err = run("check", "--format", "json", "--prefix", str(prefix), str(etc / "nginx.conf"))
    assert "relative paths start at %s" % etc in json.loads(out)["findings"][0]["hint"]


def test_standard_input_has_no_folder_so_its_includes_start_at_the_prefix(tmp_path):
    (tmp_path / "shop.conf").write_text(SITE)
    code, out, _err = run_process("check", "--format", "json", "--prefix", str(tmp_path), "-",
                                  stdin=b"events {}\nhttp {\n    include shop.conf;\n}\n")
    assert code == 1 and places(out) == [("shop.conf", 2, "unspecified-connect-address")]


def test_the_gate_judges_include_globs_from_the_config_folder_not_the_prefix(tmp_path):
    # The glob that would load the hidden staged names is relative: nginx reads it from the config folder.
    etc, prefix = tmp_path / "etc", tmp_path / "prefix"
    (etc / "conf.d").mkdir(parents=True)
    prefix.mkdir()
    (etc / "nginx.conf").write_text("events {}\nhttp {\n    include conf.d/.[!.]*;\n}\n")
    (etc / "conf.d" / "shop.conf").write_text(FIXED_SITE)
    settings = deploy.Settings(files=[{"dest": str(etc / "conf.d" / "shop.conf"), "content": SITE}],
                               config=str(etc / "nginx.conf"), prefix=str(prefix), nginx_test=False,
                               probe_backends="none", backup_dir=str(tmp_path / "backups"))
    with pytest.raises(deploy.Stopped, match=r"the include conf\.d/\.\[!\.\]\* .* matches the hidden names"):
        live = deploy._live_config(settings)
        deploy._refuse_globs_matching_stages(settings, {str(etc / "conf.d" / "shop.conf")}, live)


# --- Docker templates with their environment -------------------------------------------------------

TEMPLATE = """server {
    listen ${NGINX_PORT};
    location / {
        proxy_pass http://${BACKEND_HOST}:${BACKEND_PORT};
        proxy_set_header Host $host;
    }
}
"""


def test_template_with_env_file_reports_at_the_template_line_naming_the_variable(tmp_path):
    template = tmp_path / "default.conf.template"
    template.write_text(TEMPLATE)
    env = tmp_path / ".env"
    env.write_text("NGINX_PORT=80\nBACKEND_HOST=0\n")
    code, out, _err = run("check", "--format", "json", "--env-file", str(env), "--env", "BACKEND_PORT=8080",
                          str(template))
    findings = json.loads(out)["findings"]
    assert code == 1 and [(f["line"], f["rule"]) for f in findings] == [(4, "unspecified-connect-address")]
    assert findings[0]["file"] == str(template)
    assert findings[0]["message"].startswith(
        'BACKEND_HOST=0, BACKEND_PORT=8080 makes "proxy_pass http://0:8080;": proxy_pass: "0" is the unspecified')
    assert run("check", "--env-file", str(env), "--env", "BACKEND_HOST=10.0.0.5", "--env", "BACKEND_PORT=8080",
               str(template))[0] == 0


def test_template_variable_left_unset_is_an_error_naming_it(tmp_path):
    template = tmp_path / "default.conf.template"
    template.write_text(TEMPLATE)
    code, out, _err = run("check", "--format", "json", "--env", "NGINX_PORT=80", "--env", "BACKEND_PORT=8080",
                          str(template))
    findings = json.loads(out)["findings"]
    assert code == 1 and [(f["line"], f["rule"]) for f in findings] == [(4, "malformed-address")]
    assert findings[0]["message"].startswith(
        'BACKEND_HOST is not set (empty), BACKEND_PORT=8080 makes "proxy_pass http://:8080;"')


def test_env_filter_substitutes_only_matching_names(tmp_path):
    template = tmp_path / "t.template"
    template.write_text("server {\n    listen 80;\n    location / { proxy_pass http://${APP_HOST}:8080; }\n}\n")
    # NGINX_ENVSUBST_FILTER=^NGINX_: APP_HOST is left as written, for nginx to read as its own variable.
    code, out, _err = run("check", "--format", "json", "--env", "APP_HOST=0", "--env-filter", "^NGINX_",
                          str(template))
    assert code == 0 and json.loads(out)["findings"] == []
    assert run("check", "--env", "APP_HOST=0", str(template))[0] == 1


def test_a_bad_env_file_names_its_line(tmp_path):
    env = tmp_path / ".env"
    env.write_text("A=1\nnot an assignment\n")
    code, _out, err = run("check", "--env-file", str(env), str(tmp_path / "x.template"))
    assert code == 2 and "%s:2: expected KEY=value" % env in err


# --- several paths, one finding per place, version -------------------------------------------------

def test_one_unreadable_path_does_not_hide_the_others(tmp_path):
    site = tmp_path / "shop.conf"
    site.write_text(SITE)
    code, out, err = run("check", "--format", "json", str(tmp_path / "missing.conf"), str(site))
    assert code == 2 and "missing.conf" in err
    assert places(out) == [("shop.conf", 2, "unspecified-connect-address")]


def test_a_snippet_included_twice_gives_one_finding(tmp_path):
    (tmp_path / "snippet.conf").write_text("proxy_pass http://0:8082;\n")
    main = tmp_path / "nginx.conf"
    main.write_text("events {}\nhttp {\n    server {\n        listen 80;\n"
                    "        location /a { include snippet.conf; }\n        location /b { include snippet.conf; }\n"
                    "    }\n}\n")
    code, out, _err = run("check", "--format", "json", str(main))
    assert code == 1 and places(out) == [("snippet.conf", 1, "unspecified-connect-address")]


def test_version_is_the_collections_and_the_packages():
    import re

    import tomllib

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "galaxy.yml")) as handle:
        galaxy = re.search(r"^version: (\S+)$", handle.read(), re.M).group(1)
    with open(os.path.join(root, "pyproject.toml"), "rb") as handle:
        assert tomllib.load(handle)["project"]["version"] == galaxy
    code, out, _err = run_process("--version")
    assert code == 0 and out.strip() == "nginx-preflight %s" % galaxy


def test_a_fragment_is_not_judged_on_what_the_rest_of_the_tree_defines(tmp_path):
    # The upstream, the certificate and the resolver live in nginx.conf; this site file only uses them.
    site = tmp_path / "shop.conf"
    site.write_text("upstream spare { server 127.0.0.1:9; }\nserver {\n    listen 443 ssl;\n"
                    "    location / { fastcgi_pass php; }\n    location /x { proxy_pass http://$backend; }\n"
                    "    location /y { proxy_pass http://app/; }\n}\n")
    code, out, _err = run("check", "--fail-on", "info", str(site))
    assert code == 0, out
    # A misspelling of an upstream the fragment itself defines is still found.
    site.write_text("upstream storefront { server 127.0.0.1:9; }\nserver {\n"
                    "    location / { proxy_pass http://storefornt; }\n}\n")
    code, out, _err = run("check", "--format", "json", str(site))
    assert code == 1 and places(out) == [("shop.conf", 3, "unknown-upstream")]


def test_a_dangling_link_is_named_as_a_link(tmp_path):
    # Found by a new user: a sites-enabled link copied out of /etc/nginx gave a bare "No such file".
    link = tmp_path / "app"
    link.symlink_to("/etc/nginx/sites-available/preflight-no-such-site")
    code, _out, err = run("check", str(link))
    assert code == 2
    assert "%s: cannot read configuration file %s: it is a link to " % (link, link) in err
    assert "/etc/nginx/sites-available/preflight-no-such-site, which does not exist here" in err
    assert "Traceback" not in err


def test_root_with_a_sites_enabled_link_as_the_argument(tmp_path):
    # Found by a new user: the link points at /etc/nginx/... as on the real host; under --root it is read
    # inside the tree, not refused as "not under the root".
    available = tmp_path / "etc" / "nginx" / "sites-available"
    enabled = tmp_path / "etc" / "nginx" / "sites-enabled"
    available.mkdir(parents=True)
    enabled.mkdir()
    (available / "app").write_text("server {\n    listen 80;\n    location / {\n"
                                   "        proxy_pass http://0:8082;\n    }\n}\n")
    (enabled / "app").symlink_to("/etc/nginx/sites-available/app")
    code, out, err = run("check", "--root", str(tmp_path), "--format", "json", str(enabled / "app"))
    assert code == 1, err
    findings = json.loads(out)["findings"]
    assert [(f["rule"], f["line"]) for f in findings] == [("unspecified-connect-address", 4)]


# --- --root through links on the way: followed inside the root at every component --------------------------

BAD_APP = "server {\n    listen 80;\n    location / {\n        proxy_pass http://0:8082;\n    }\n}\n"


def _repo(tmp_path):
    repo = tmp_path / "repo"
    (repo / "etc" / "nginx" / "sites-available").mkdir(parents=True)
    (repo / "etc" / "nginx" / "sites-available" / "app").write_text(BAD_APP)
    return repo


def test_root_follows_a_linked_folder_on_the_way_inside_the_root(tmp_path):
    # sites-enabled committed as a link to the host's sites-available: the link is followed under the root.
    repo = _repo(tmp_path)
    os.symlink("/etc/nginx/sites-available", str(repo / "etc" / "nginx" / "sites-enabled"))
    code, out, err = run("check", "--root", str(repo), "--format", "json",
                         str(repo / "etc" / "nginx" / "sites-enabled" / "app"))
    assert code == 1, err
    [finding] = json.loads(out)["findings"]
    assert (finding["file"], finding["line"], finding["rule"]) == (
        "/etc/nginx/sites-enabled/app", 4, "unspecified-connect-address")


def test_root_follows_a_linked_config_folder_inside_the_root(tmp_path):
    # etc/nginx itself is a link to a host-absolute folder the repository also holds.
    repo = tmp_path / "repo"
    (repo / "srv" / "nginx").mkdir(parents=True)
    (repo / "etc").mkdir()
    os.symlink("/srv/nginx", str(repo / "etc" / "nginx"))
    (repo / "srv" / "nginx" / "nginx.conf").write_text("events {}\nhttp {\n    include /etc/nginx/app.conf;\n}\n")
    (repo / "srv" / "nginx" / "app.conf").write_text(BAD_APP)
    code, out, err = run("check", "--root", str(repo), "--format", "json", str(repo / "etc" / "nginx" / "nginx.conf"))
    assert code == 1, err
    data = json.loads(out)
    assert data["files"] == ["/etc/nginx/nginx.conf", "/etc/nginx/app.conf"]
    assert [(f["file"], f["line"]) for f in data["findings"]] == [("/etc/nginx/app.conf", 4)]


def test_root_refuses_a_link_that_loops_under_it_instead_of_reading_this_machine(tmp_path):
    # etc/nginx -> /etc/nginx is itself under the root: the machine would read its own /etc/nginx.
    repo = tmp_path / "repo"
    (repo / "etc").mkdir(parents=True)
    os.symlink("/etc/nginx", str(repo / "etc" / "nginx"))
    code, _out, err = run("check", "--root", str(repo), str(repo / "etc" / "nginx" / "nginx.conf"))
    assert code == 2 and "Traceback" not in err
    assert "%s is a link to /etc/nginx, which leads back to itself there (a loop of links)" % (
        repo / "etc" / "nginx") in err


def test_root_refuses_a_link_whose_dots_climb_out_of_it_naming_it(tmp_path):
    repo = _repo(tmp_path)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "app").write_text(BAD_APP)
    link = repo / "etc" / "nginx" / "sites-enabled"
    os.symlink("../../../outside", str(link))
    code, _out, err = run("check", "--root", str(repo), str(link / "app"))
    assert code == 2 and "Traceback" not in err
    assert "%s is a link to ../../../outside, which leads out of the root %s" % (link, repo) in err
    # A path that is not under the root at all still says so.
    code, _out, err = run("check", "--root", str(repo), str(repo / ".." / "outside" / "app"))
    assert code == 2 and "is not under the root %s" % repo in err


def test_an_include_through_a_looping_link_is_an_include_error_not_this_machines_file(tmp_path):
    repo = _repo(tmp_path)
    os.symlink("/etc/nginx/snippets", str(repo / "etc" / "nginx" / "snippets"))
    (repo / "etc" / "nginx" / "nginx.conf").write_text(
        "events {}\nhttp {\n    include /etc/nginx/snippets/*.conf;\n    include /etc/nginx/snippets/x.conf;\n}\n")
    loaded = nginx_config.load(str(repo / "etc" / "nginx" / "nginx.conf"), root=str(repo))
    assert loaded.files == ["/etc/nginx/nginx.conf"]
    assert [(p.rule, p.line) for p in loaded.problems] == [("include-error", 3), ("include-error", 4)]
    assert all("a loop of links" in p.message for p in loaded.problems)


def test_root_given_through_a_link_to_the_checkout(tmp_path):
    repo = _repo(tmp_path)
    os.symlink(str(repo), str(tmp_path / "checkout"))
    for root, path in ((tmp_path / "checkout", repo), (repo, tmp_path / "checkout")):
        code, out, err = run("check", "--root", str(root), "--format", "json",
                             str(path / "etc" / "nginx" / "sites-available" / "app"))
        assert code == 1, err
        assert json.loads(out)["findings"][0]["file"] == "/etc/nginx/sites-available/app"
