"""nginx-preflight: commands, formats and exit codes."""

import io
import json
import os

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils.cli import main as cli
from ansible_collections.preflight.nginx.plugins.module_utils.cli import report

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BROKEN = os.path.join(ROOT, "examples", "incident", "broken")
FIXED = os.path.join(ROOT, "examples", "incident", "fixed")


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_text_output_points_at_the_line_with_a_code_frame():
    code, out, err = run("check", BROKEN)
    assert code == 1 and err == ""
    assert "storefront.conf:3: error[unspecified-connect-address]" in out
    assert "  > 3 |     server 0:80;" in out
    assert "= help: connect to the backend's real address" in out
    assert out.rstrip().endswith("2 errors, 0 warnings, 0 info in 2 files")


def test_fixed_config_passes():
    code, out, _err = run("check", FIXED)
    assert code == 0 and out.startswith("no problems found")


def test_json_output():
    code, out, _err = run("check", "--format", "json", BROKEN)
    data = json.loads(out)
    assert code == 1
    assert [(f["rule"], os.path.basename(f["file"]), f["line"]) for f in data["findings"]] == [
        ("unspecified-connect-address", "storefront.conf", 3),
        ("unspecified-connect-address", "storefront.conf", 15)]
    assert {"rule", "severity", "file", "line", "message", "context", "hint"} <= set(data["findings"][0])
    assert data["counts"] == {"error": 2, "warning": 0, "info": 0}


def test_sarif_output_is_sarif_2_1_0():
    code, out, _err = run("check", "--format", "sarif", BROKEN)
    sarif = json.loads(out)
    assert code == 1 and sarif["version"] == "2.1.0"
    run_ = sarif["runs"][0]
    assert run_["tool"]["driver"]["name"] == "nginx-preflight"
    assert [r["id"] for r in run_["tool"]["driver"]["rules"]] == ["unspecified-connect-address"]
    # Links lead to the rule pages in the repository, and those pages exist in this checkout.
    driver = run_["tool"]["driver"]
    assert driver["informationUri"] == report.REPOSITORY_URL
    help_uri = driver["rules"][0]["helpUri"]
    assert help_uri == report.REPOSITORY_URL + "/blob/main/docs/rules/unspecified-connect-address.md"
    assert os.path.isfile(os.path.join(ROOT, help_uri.split("/blob/main/", 1)[1]))
    result = run_["results"][0]
    assert result["ruleId"] == "unspecified-connect-address" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    assert result["ruleIndex"] == 0


def test_github_annotations():
    code, out, _err = run("check", "--format", "github", BROKEN)
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("::error file=")
    assert ",line=3,title=nginx-preflight%3A unspecified-connect-address::" in first


def test_fail_on_and_selection(tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text("events {}\nhttp {\n    server {\n        listen 0:8081;\n    }\n}\n")
    assert run("check", str(conf))[0] == 0
    assert run("check", "--fail-on", "warning", str(conf))[0] == 1
    assert run("check", "--fail-on", "warning", "--ignore", "non-canonical-address", str(conf))[0] == 0
    assert run("check", "--select", "empty-upstream,unknown-upstream", "--fail-on", "info", str(conf))[0] == 0


def test_usage_and_io_problems_exit_2(tmp_path):
    assert run("check", str(tmp_path / "missing.conf"))[0] == 2
    code, _out, err = run("check", "--ignore", "no-such-rule", FIXED)
    assert code == 2 and "unknown rule id: no-such-rule" in err
    assert run("check", "--format", "xml", FIXED)[0] == 2
    assert run()[0] == 2
    assert run("explain", "nope")[0] == 2


def test_rules_and_explain():
    code, out, _err = run("rules")
    assert code == 0 and "unspecified-connect-address  error" in out
    code, out, _err = run("rules", "--format", "json")
    assert code == 0 and len(json.loads(out)) >= 20
    code, out, _err = run("explain", "unspecified-connect-address")
    assert code == 0 and "Why:" in out and "server 0:80;  # <- unspecified-connect-address" in out


@pytest.mark.nginx
def test_nginx_t_is_merged(tmp_path, nginx):
    conf = tmp_path / "nginx.conf"
    conf.write_text("events {}\nhttp {\n    client_max_body_size 10Q;\n}\n")
    code, out, _err = run("check", "--nginx-t", "--nginx-binary", nginx, "--format", "json", str(conf))
    data = json.loads(out)
    assert code == 1
    assert [(f["rule"], f["line"]) for f in data["findings"]] == [("nginx-test", 3)]
    assert data["nginx_test"][0]["rc"] == 1


def test_as_names_the_dest_not_the_temporary_file_and_repeats_findings_on_stderr(tmp_path, monkeypatch):
    source = tmp_path / "source"  # what validate: %s hands over: Ansible's temporary copy
    monkeypatch.chdir("/")  # where a module may run validate: from; DEST is still named as given
    source.write_text("upstream app {\n    server 0:80;\n}\n")
    code, out, err = run("check", "--as", "/etc/nginx/conf.d/app.conf", str(source))
    assert code == 1
    assert "/etc/nginx/conf.d/app.conf:2: error[unspecified-connect-address]" in out
    assert "/etc/nginx/conf.d/app.conf:2: error[unspecified-connect-address]" in err
    assert str(source) not in out + err
    source.write_text("upstream app {\n    server 127.0.0.1:80;\n}\n")
    code, out, err = run("check", "--as", "/etc/nginx/conf.d/app.conf", str(source))
    assert code == 0 and err == ""


def test_as_reads_relative_includes_beside_dest_under_root(tmp_path):
    snippets = tmp_path / "repo" / "etc" / "nginx" / "snippets"
    snippets.mkdir(parents=True)
    (snippets / "backend.conf").write_text("upstream app { server 0:81; }\n")
    source = tmp_path / "source"
    source.write_text("events {}\nhttp {\n    include snippets/backend.conf;\n}\n")
    code, out, err = run("check", "--root", str(tmp_path / "repo"), "--as", "/etc/nginx/nginx.conf", str(source))
    assert code == 1, err
    assert "/etc/nginx/snippets/backend.conf:1: error[unspecified-connect-address]" in out
    code, out, _err = run("check", "--as", "/etc/nginx/nginx.conf", str(source))  # not under a root: the host's
    assert "include" in out and "/etc/nginx/snippets/backend.conf" in out


@pytest.mark.parametrize("argv", [
    ["--as", "conf.d/app.conf", "SOURCE"], ["--as", "/etc/nginx/a.conf", "SOURCE", "SOURCE"],
    ["--as", "/etc/nginx/a.conf", "-"], ["--as", "/etc/nginx/a.conf", "--dump", "SOURCE"]])
def test_as_refuses_what_it_cannot_place(tmp_path, argv):
    source = tmp_path / "source"
    source.write_text("server { listen 80; }\n")
    code, out, err = run("check", *[str(source) if arg == "SOURCE" else arg for arg in argv])
    assert code == 2 and out == "" and "--as DEST names one file PATH" in err
