"""nginx-preflight endpoints: files and folders, formats, --fail-on, --explain, --env, exit codes."""

import io
import json

from ansible_collections.preflight.nginx.plugins.module_utils.cli import main as cli


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


def tree(tmp_path):
    (tmp_path / "cron").mkdir()
    (tmp_path / "cron" / "health.cron").write_text("# probe\n*/5 * * * * curl -fsS http://0:80/health\n")
    (tmp_path / "probe.service").write_text("[Service]\nEnvironment=BACKEND=0:80\nExecStart=/usr/bin/curl $BACKEND\n")
    (tmp_path / "wait.sh").write_text("#!/bin/sh\nuntil curl -fsS \"$TARGET\"; do sleep 1; done\n")
    return tmp_path


def test_text_output_names_each_line_with_a_code_frame(tmp_path):
    code, out, err = run("endpoints", tree(tmp_path))
    assert code == 1 and err == ""
    assert "cron/health.cron:2: error[unspecified-connect-address] cron job: curl http://0:80/health:" in out
    assert "  > 2 | */5 * * * * curl -fsS http://0:80/health" in out
    assert "probe.service:2: error[unspecified-connect-address] BACKEND:" in out
    assert "probe.service:3: error[unspecified-connect-address] ExecStart=: curl 0:80:" in out
    assert "(BACKEND=0:80)" in out and "3 errors, 0 warnings, 0 info in 3 files" in out


def test_json_sarif_and_github(tmp_path):
    tree(tmp_path)
    code, out, _err = run("endpoints", "--format", "json", tmp_path)
    data = json.loads(out)
    assert code == 1 and data["counts"]["error"] == 3 and data["errors"] == []
    assert sorted(data["kinds"].values()) == ["crontab", "shell", "systemd"]
    code, out, _err = run("endpoints", "--format", "sarif", tmp_path / "probe.service")
    sarif = json.loads(out)
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in sarif["runs"][0]["results"]] == [
        2, 3]
    code, out, _err = run("endpoints", "--format", "github", tmp_path / "cron")
    assert out.startswith("::error file=") and ",line=2," in out


def test_fail_on_env_and_explain(tmp_path):
    tree(tmp_path)
    code, out, _err = run("endpoints", "--explain", tmp_path / "wait.sh")
    assert code == 0 and "wait.sh:2: note: " in out and "$TARGET" in out and "not judged" in out
    code, out, _err = run("endpoints", "--env", "TARGET=http://0:80/", tmp_path / "wait.sh")
    assert code == 1 and "wait.sh:2: error" in out
    env = tmp_path / "vars.env"
    env.write_text("TARGET=http://127.0.0.1:80/\n")
    assert run("endpoints", "--env-file", env, tmp_path / "wait.sh")[0] == 0


def test_bad_input_is_named_exit_2_and_the_rest_is_still_reviewed(tmp_path):
    tree(tmp_path)
    (tmp_path / "broken.service").write_text("[Service]\nExecStart\n")
    code, out, err = run("endpoints", tmp_path, tmp_path / "nope.sh")
    assert code == 2
    assert "broken.service:2: expected Key=value" in err and "nope.sh: no such file or directory" in err
    assert "3 errors" in out
    code, _out, err = run("endpoints", "--env", "oops", tmp_path)
    assert code == 2 and "--env 'oops'" in err


def test_host_places_under_a_root(tmp_path):
    (tmp_path / "etc" / "cron.d").mkdir(parents=True)
    (tmp_path / "etc" / "cron.d" / "x").write_text("* * * * * root nc -z 0 80\n")
    code, out, _err = run("endpoints", "--host", "--root", tmp_path, "/etc/cron.d/x")
    assert code == 1 and out.count("/etc/cron.d/x:1: error[unspecified-connect-address]") == 1
    # as the README says it: --host needs no PATH; without --host one is still required
    code, out, _err = run("endpoints", "--host", "--root", tmp_path)
    assert code == 1 and out.count("/etc/cron.d/x:1: error[unspecified-connect-address]") == 1
    code, _out, err = run("endpoints")
    assert code == 2 and "PATH" in err


def test_the_incident_in_every_kind_of_file_through_the_command_line(tmp_path):
    from test_endpoint_readers import CASES, layout  # tests/unit is on sys.path (pytest's prepend mode)

    for case, (path, text, line) in sorted(CASES.items()):
        folder = tmp_path / case.replace(" ", "_").replace("=", "")
        full = layout(folder, path, text)
        code, out, err = run("endpoints", "--format", "github", full)
        assert code == 1 and err == "", (case, out, err)
        assert ",line=%d," % line in out and "::error file=" in out, (case, out)


def test_a_file_this_user_cannot_read_is_named_and_the_rest_reviewed(tmp_path):
    import os
    import subprocess

    import pytest

    if os.geteuid() != 0 or not os.access("/usr/bin/python3", os.X_OK):
        pytest.skip("needs root to drop to another user, and Debian's python3 (nobody can run it)")
    folder = "/tmp/preflight-endpoints-unreadable-%d" % os.getpid()
    os.makedirs(folder, mode=0o755)
    try:
        os.chmod(folder, 0o755)
        for name, mode in (("secret.sh", 0o600), ("open.sh", 0o644)):
            with open(os.path.join(folder, name), "w") as handle:
                handle.write("#!/bin/sh\ncurl -fsS http://0:80/\n")
            os.chmod(os.path.join(folder, name), mode)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        proc = subprocess.run(
            ["/usr/bin/python3", "-m", "ansible_collections.preflight.nginx.plugins.module_utils.cli.main", "endpoints",
             folder], capture_output=True, text=True, check=False, preexec_fn=lambda: os.setuid(65534),
            env=dict(os.environ, PYTHONPATH=os.path.join(root, ".build", "collections")))
        assert proc.returncode == 2, proc.stderr
        assert "secret.sh: cannot read: Permission denied" in proc.stderr
        assert "open.sh:2: error[unspecified-connect-address]" in proc.stdout
        assert "Traceback" not in proc.stderr
    finally:
        subprocess.run(["rm", "-rf", folder], check=False)
