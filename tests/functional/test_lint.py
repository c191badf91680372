"""The ansible-lint rules through the real ansible-lint, on fixture projects.

Each `# expect: <rule>[<tag>]` comment in tests/lint/fail marks a line where
exactly that finding must appear; tests/lint/pass (a realistic role and
playbook) must be clean. Both run under the production profile, which their
.ansible-lint files extend with the preflight rules (enable_list).
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(ROOT, "extensions", "ansible_lint_rules", "preflight_nginx")
LINT = os.path.join(os.path.dirname(sys.executable), "ansible-lint")
EXPECT = re.compile(r"#\s*expect:\s*(\S+)")

pytestmark = pytest.mark.skipif(not os.path.exists(LINT), reason="ansible-lint is not installed")


def lint(project, tmp_path, *extra, env=None, raw=False):
    work = tmp_path / os.path.basename(project)
    shutil.copytree(project, work)
    env = dict(os.environ, NO_COLOR="1", ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               **(env or {}))
    proc = subprocess.run([LINT, "--offline", "-f", "json", *extra],
                          cwd=str(work), env=env, capture_output=True, text=True, timeout=600, check=False)
    try:
        findings = json.loads(proc.stdout or "[]")
    except ValueError:
        pytest.fail("ansible-lint gave no JSON:\n%s\n%s" % (proc.stdout, proc.stderr))
    if raw:
        return proc, findings
    return proc, {(f["location"]["path"], f["location"]["lines"]["begin"], f["check_name"]) for f in findings}


def expectations(project):
    expected = set()
    for folder, _dirs, files in os.walk(project):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    match = EXPECT.search(line)
                    if match:
                        expected.add((os.path.relpath(path, project), number, match.group(1)))
    return expected


def test_fail_fixtures_raise_exactly_the_expected_findings(tmp_path):
    project = os.path.join(ROOT, "tests", "lint", "fail")
    proc, found = lint(project, tmp_path, "-r", RULES)
    assert proc.returncode == 2, proc.stderr
    assert found == expectations(project)


def test_findings_never_carry_a_credential_and_ambiguity_is_a_warning(tmp_path):
    proc, findings = lint(os.path.join(ROOT, "tests", "lint", "fail"), tmp_path, "-r", RULES, raw=True)
    output = proc.stdout + proc.stderr
    # curl -u admin:S3cretPw -H "X-Token:abc123tok" and postgres://orders:S3cretPw@0:5432/orders
    assert "S3cretPw" not in output and "abc123tok" not in output
    assert "Ignored exception" not in proc.stderr
    levels = {f["check_name"]: f["severity"] for f in findings}
    assert levels["preflight-endpoint[bind-or-connect]"] == "minor"  # a warning: it does not fail the run alone
    assert levels["preflight-endpoint[vars]"] == "major"


def test_bind_addresses_and_non_nginx_files_raise_nothing(tmp_path):
    # HOST=0.0.0.0, LISTEN_HOST="::", *_host/*_addr of servers, minio ":9000", gunicorn --bind, uvicorn
    # --host, docker -e HOST=0.0.0.0, wait_for state=drained, credentials and headers with good URLs,
    # nginx-shaped data whose 0.0.0.0 is a listen, a listen-only nginx template, and ntp, mongod,
    # memcached, php-fpm, Apache, systemd and YAML files named *.conf / *.conf.j2.
    proc, found = lint(os.path.join(ROOT, "tests", "lint", "bind"), tmp_path, "-r", RULES)
    assert found == set() and proc.returncode == 0, (found, proc.stderr)
    assert "Ignored exception" not in proc.stderr


def test_a_profile_does_not_silently_drop_the_preflight_rules(tmp_path):
    # The trap: a repository whose .ansible-lint says only "profile: production". ansible-lint
    # unloads every rule its profile does not name, so `-t preflight` ran nothing and "Passed".
    project = os.path.join(ROOT, "tests", "lint", "profile")
    proc, found = lint(project, tmp_path, "-r", RULES, "-t", "preflight")
    assert found == expectations(project) and proc.returncode == 2, (found, proc.stderr)
    proc, found = lint(project, tmp_path / "cli", "-r", RULES, "--profile", "min")
    assert found == expectations(project) and proc.returncode == 2, (found, proc.stderr)
    # skip_list still switches a rule off.
    proc, found = lint(project, tmp_path / "skip", "-r", RULES, "-x", "preflight-endpoint")
    assert found == set() and proc.returncode == 0, (found, proc.stderr)


def test_a_missing_crossplane_fails_the_run_and_says_what_to_install(tmp_path):
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "crossplane.py").write_text("raise ImportError('No module named crossplane')\n")
    proc, findings = lint(os.path.join(ROOT, "tests", "lint", "fail"), tmp_path, "-r", RULES,
                          env={"PYTHONPATH": str(hide)}, raw=True)
    assert proc.returncode == 2
    dependency = [f for f in findings if f["check_name"] == "preflight-nginx-config[dependency]"]
    assert dependency and "pip install crossplane" in dependency[0]["description"]


def test_a_realistic_project_stays_clean(tmp_path):
    proc, found = lint(os.path.join(ROOT, "tests", "lint", "pass"), tmp_path, "-r", RULES)
    assert found == set() and proc.returncode == 0, proc.stderr


def test_rules_load_by_themselves_once_installed():
    import ansiblelint

    installed = os.path.join(os.path.dirname(ansiblelint.__file__), "rules", "custom", "preflight_nginx")
    if not os.path.isdir(installed):
        if os.environ.get("PREFLIGHT_REQUIRE_INSTALLED") == "1":
            pytest.fail("the project is not pip-installed in this environment")
        pytest.skip("the project is not pip-installed in this environment")
    proc = subprocess.run([LINT, "--offline", "-L"], capture_output=True, text=True,
                          timeout=300, check=False)
    assert "preflight-endpoint" in proc.stdout and "preflight-nginx-config" in proc.stdout, proc.stderr


def test_an_ansible_lint_that_drops_custom_rules_under_a_profile_is_named(monkeypatch, caplog):
    # ansible-lint before 26.2 unloads enable_list rules under a profile too; it cannot run here,
    # so its filter (without the enable_list parameter) stands in for it.
    import types

    import ansiblelint.rules

    sys.path.insert(0, RULES)
    try:
        import preflight_engine
    finally:
        sys.path.remove(RULES)

    class Rule(preflight_engine.KeptUnderProfiles):
        id = "preflight-endpoint"

    collection = types.SimpleNamespace(options=types.SimpleNamespace(profile="production", enable_list=[]))
    Rule()._collection = collection
    assert collection.options.enable_list == ["preflight-endpoint"] and not caplog.records

    monkeypatch.setattr(ansiblelint.rules, "filter_rules_with_profile", lambda rule_col, profile: None)
    collection.options.enable_list = []
    Rule()._collection = collection
    assert "does not run under profile 'production'" in caplog.text and "upgrade ansible-lint" in caplog.text
