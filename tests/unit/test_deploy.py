"""The deploy transaction's file handling (the rest runs on real nginx in Molecule)."""

import hashlib
import os
import stat

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils.host import deploy, nginx_process, transaction

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_needs_change_compares_bytes_and_mode(tmp_path):
    path = tmp_path / "site.conf"
    content = "server 127.0.0.1:8081;\n"
    entry = deploy.prepare([{"dest": str(path), "content": content, "mode": "0640"}], str(tmp_path / "nginx.conf"))[0]
    assert deploy.needs_change(entry)
    deploy.write(entry)
    assert path.read_text() == content and stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert not deploy.needs_change(entry)
    os.chmod(path, 0o644)
    assert deploy.needs_change(entry)


@pytest.fixture
def bad_change(tmp_path):
    """A live tree with a good upstream, and settings that would deploy server 0:80 into it."""
    (tmp_path / "conf.d").mkdir()
    main = tmp_path / "nginx.conf"
    main.write_text("events {}\nhttp {\n    include conf.d/*.conf;\n}\n")
    site = tmp_path / "conf.d" / "site.conf"
    site.write_text("upstream app { server 127.0.0.1:8081; }\n")
    settings = deploy.Settings(
        files=[{"dest": str(site), "content": "upstream app { server 0:80; }\n"}], config=str(main),
        nginx_test=False, probe_backends="none", backup_dir=str(tmp_path / "backups"))
    return settings, site


def test_a_failed_validation_changes_nothing_live_and_reloads_nothing(tmp_path, bad_change):
    settings, site = bad_change
    result = deploy.run(settings, run_command=None)
    assert result["failed"] and result["msg"].startswith("blocked: validation failed")
    assert "%s:1: error[unspecified-connect-address]" % site in result["msg"]
    assert "nothing live was changed" in result["msg"] and "nginx was not reloaded" in result["msg"]
    assert not result["changed"] and result["snapshot"] is None
    assert [p.name for p in tmp_path.rglob(".preflight-stage-*")] == []
    assert site.read_text() == "upstream app { server 127.0.0.1:8081; }\n"
    assert transaction.active(str(tmp_path / "backups")) is None


def test_check_mode_validates_a_staged_copy_and_names_the_live_files(tmp_path, bad_change):
    settings, site = bad_change
    result = deploy.run(settings, run_command=None, check_mode=True)
    assert result["failed"] and result["msg"].startswith("check mode: the new files would fail validation")
    assert "%s:1: error[unspecified-connect-address]" % site in result["msg"]
    assert result["changes"] == ["upstream app: 127.0.0.1:8081 \u2192 0:80"]
    assert result["file_diffs"] == [{"before_header": str(site), "after_header": str(site),
                                     "before": "upstream app { server 127.0.0.1:8081; }\n",
                                     "after": "upstream app { server 0:80; }\n"}]
    assert site.read_text() == "upstream app { server 127.0.0.1:8081; }\n"
    assert not (tmp_path / "backups").exists()


def test_settings_default_as_the_module_documents():
    """A direct caller of the engine gets what the module's documentation says: one spec, one set of names."""
    import yaml

    from ansible_collections.preflight.nginx.plugins.modules import nginx_deploy

    documented = yaml.safe_load(nginx_deploy.DOCUMENTATION)["options"]
    settings = deploy.Settings(files=[])
    for option, spec in deploy.OPTIONS.items():
        assert documented[option]["type"] == spec["type"], option
        assert documented[option].get("default") == spec.get("default"), option
        assert documented[option].get("choices") == spec.get("choices"), option
        if option not in ("files", "preview"):
            assert getattr(settings, option) == spec.get("default"), option
    assert settings.preview is False  # unset: a preview when there are health checks to run on it
    assert deploy.Settings(files=[], health_checks=[{"url": "http://127.0.0.1/"}]).preview is True
    with pytest.raises(TypeError, match=r"unknown deploy option: probe$"):
        deploy.Settings(files=[], probe="none")


def test_health_check_options_are_written_once_and_are_http_checks_arguments():
    import ast

    from ansible_collections.preflight.nginx.plugins.module_utils.host import http_probe

    # The gate, the monitor and the preview take "a dict of http_check options": the same names.
    with open(os.path.join(ROOT, "plugins", "modules", "http_check.py")) as handle:
        tree = ast.parse(handle.read())
    spec = next(node for node in ast.walk(tree) if isinstance(node, ast.keyword) and node.arg == "argument_spec")
    arguments = {keyword.arg for keyword in spec.value.keywords}
    assert set(http_probe.SPEC_OPTIONS) == arguments - {"curl_binary"}
    check = {"url": "http://127.0.0.1:8080/", "status": [204], "timeout": None}
    built = http_probe.CheckSpec.from_check(check, "/usr/bin/curl", connect_to=["::127.0.0.1:9"])
    assert (built.status, built.timeout, built.connect_to) == ([204], 5.0, ["::127.0.0.1:9"])
    assert built.curl == "/usr/bin/curl"
    assert http_probe.check_problems({"url": "http://0:80/", "retry": 1})[0].startswith("unknown option retry")
    assert http_probe.check_problems({}) == ["needs a url"]
    assert http_probe.check_problems("http://x/")[0].startswith("must be a dict")


def test_staged_files_and_snapshots_are_flushed_once_per_file_system_not_once_per_file(tmp_path, monkeypatch):
    """An fsync per file made 2,000 staged files cost seconds; one syncfs(2) per file system does the same."""
    assert transaction._SYNCFS is not None  # Linux with glibc: the batch flush is there
    (tmp_path / "conf.d").mkdir()
    main = tmp_path / "nginx.conf"
    main.write_text("events {}\nhttp {\n    include conf.d/*.conf;\n}\n")
    for number in range(40):
        (tmp_path / "conf.d" / ("site%d.conf" % number)).write_text("# old\n")
    settings = deploy.Settings(files=[{"dest": str(tmp_path / "conf.d" / ("site%d.conf" % n)), "content": "# new\n"}
                                      for n in range(40)], config=str(main), backup_dir=str(tmp_path / "backups"))
    calls = {"fsync": 0, "syncfs": 0}
    real_fsync, real_syncfs = os.fsync, transaction._SYNCFS

    def fsync(fd):
        calls["fsync"] += 1
        real_fsync(fd)

    def syncfs(fd):
        calls["syncfs"] += 1
        return real_syncfs(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(transaction, "_SYNCFS", syncfs)
    os.makedirs(settings.backup_dir)
    staged = deploy._stage_beside(settings, {entry["path"] for entry in settings.files})
    assert len(staged) == 40
    assert {transaction.sha256_of(path) for path in staged.values()} == {hashlib.sha256(b"# new\n").hexdigest()}
    assert calls == {"fsync": 1, "syncfs": 1}  # the list of staged names, then the 40 files at once
    transaction.begin(settings.backup_dir, sorted(staged))
    assert calls == {"fsync": 4, "syncfs": 2}  # the 40 copies at once, then journal, reserve, active marker
    monkeypatch.setattr(transaction, "_SYNCFS", None)  # no syncfs: each file is flushed on its own
    transaction.sync_to_disk(list(staged.values()) + [str(tmp_path / "gone")])
    assert calls == {"fsync": 44, "syncfs": 2}


def test_a_relative_pid_path_starts_at_nginxs_prefix_not_the_config_folder(tmp_path):
    fake = tmp_path / "nginx"
    fake.write_text("#!/bin/sh\necho 'configure arguments: --prefix=/opt/built --conf-path=/etc/x' >&2\n")
    fake.chmod(0o755)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "nginx.conf").write_text("pid run/nginx.pid;\nevents {}\n")
    config = str(tmp_path / "etc" / "nginx.conf")
    assert nginx_process.pid_file_of(config, None, str(fake)) == "/opt/built/run/nginx.pid"
    assert nginx_process.pid_file_of(config, "/srv/edge", str(fake)) == "/srv/edge/run/nginx.pid"
