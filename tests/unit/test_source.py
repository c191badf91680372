"""The one engine entry: a Source (what to load), Options (what to run), engine.check; rule scopes."""

import io
import os

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils import engine, module_options, nginx_config
from ansible_collections.preflight.nginx.plugins.module_utils.findings import DIRECTIVE, SCOPES, TREE, Finding
from ansible_collections.preflight.nginx.plugins.module_utils.rules import RULES
from ansible_collections.preflight.nginx.plugins.module_utils.source import DUMP, FILE, TEMPLATE, TEXT, Source

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INCIDENT = ("events {}\nhttp {\n    upstream app { server 0:80; }\n"
            "    server { listen 8080; location / { proxy_pass http://app; } }\n}\n")
DUMP_TEXT = ("nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
             "# configuration file /etc/nginx/nginx.conf:\n" + INCIDENT)


def rules_at(report):
    return [(f.rule, os.path.basename(f.file), f.line) for f in report.findings]


# --- what a path a user typed is ------------------------------------------------------------------------

def test_a_directory_stands_for_its_nginx_conf(tmp_path):
    (tmp_path / "nginx.conf").write_text(INCIDENT)
    source = Source.for_path(str(tmp_path))
    assert (source.kind, source.name) == (FILE, str(tmp_path / "nginx.conf"))
    assert rules_at(engine.check(source)) == [("unspecified-connect-address", "nginx.conf", 3)]


def test_nginx_t_output_is_recognised_by_its_first_lines_on_disk_and_on_stdin(tmp_path):
    (tmp_path / "dump.txt").write_text(DUMP_TEXT)
    on_disk = Source.for_path(str(tmp_path / "dump.txt"))
    on_stdin = Source.for_path("-", stdin=io.BytesIO(DUMP_TEXT.encode()))
    assert (on_disk.kind, on_stdin.kind, on_stdin.name) == (DUMP, DUMP, "<stdin>")
    for source in (on_disk, on_stdin):  # findings at the dumped file's own path and line
        assert [(f.rule, f.file, f.line) for f in engine.check(source).findings] == [
            ("unspecified-connect-address", "/etc/nginx/nginx.conf", 3)]


def test_stdin_that_is_no_dump_is_text_and_variables_make_a_template(tmp_path):
    text = Source.for_path("-", stdin=io.BytesIO(b"server { listen 80; }\n"))
    assert (text.kind, text.resolve_includes, text.context) == (TEXT, True, "auto")
    (tmp_path / "site.template").write_text("server {\n    location / { proxy_pass http://${BACKEND}; }\n}\n")
    template = Source.for_path(str(tmp_path / "site.template"), variables={"BACKEND": "0:8082"})
    assert template.kind == TEMPLATE
    report = engine.check(template)
    assert [(f.rule, f.line) for f in report.findings] == [("unspecified-connect-address", 2)]
    assert report.findings[0].message.startswith("BACKEND=0:8082 makes")


def test_a_bad_description_is_a_value_error_naming_what_is_wrong():
    with pytest.raises(ValueError, match="kind must be one of"):
        Source("yaml", path="x")
    with pytest.raises(ValueError, match="context must be one of"):
        Source.file("x", context="upstream")
    with pytest.raises(ValueError, match="root applies to files on disk"):
        Source.text("events {}", root="/srv")


def test_an_unreadable_dump_names_the_file(tmp_path):
    with pytest.raises(nginx_config.ConfigLoadError, match="not nginx -T output"):
        engine.check(Source.dump(b"server { listen 80; }\n"))


# --- nginx -t: one guard ---------------------------------------------------------------------------------

@pytest.mark.parametrize("source, why", [
    (Source.file("/srv/etc/nginx/nginx.conf", root="/srv"), "under a root"),
    (Source.file("/etc/nginx/nginx.conf", mapping={"/etc/nginx": "/tmp/staged"}), "under a root"),
    (Source.text("events {}"), "text input"),
    (Source.template("site.template", {}), "template input"),
    (Source.dump(DUMP_TEXT), "dump input"),
])
def test_nginx_t_is_refused_for_every_input_it_cannot_judge(source, why):
    assert why in source.nginx_test_refusal()
    with pytest.raises(ValueError, match=why):
        engine.check(source, engine.Options(nginx_test=True))


def test_nginx_t_is_allowed_for_files_where_they_lie_and_the_rules_alone_remain():
    assert Source.file("/etc/nginx/nginx.conf").nginx_test_refusal() is None
    options = engine.Options(nginx_test=True, select=["syntax-error"])
    alone = options.without_nginx_test()
    assert (alone.nginx_test, alone.select, options.nginx_test) == (False, ["syntax-error"], True)


# --- options -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("keywords, option", [
    ({"select": ["no-such-rule"]}, "select"),
    ({"ignore": ["unused-upstream", "nope"]}, "ignore"),
    ({"nginx_version": "latest"}, "nginx_version"),
])
def test_a_bad_option_names_itself(keywords, option):
    with pytest.raises(engine.OptionError) as raised:
        engine.Options(**keywords)
    assert raised.value.option == option


def test_module_options_name_the_module_argument(tmp_path):
    params = {"path": str(tmp_path / "nginx.conf"), "prefix": None, "context": "auto", "root": None,
              "source": "files", "template_variables": None, "template_env_files": [str(tmp_path / "missing.env")],
              "template_env_filter": None, "nginx_binary": "nginx"}
    with pytest.raises(module_options.OptionError, match=r"^template_env_files: "):
        module_options.source_from(params)
    with pytest.raises(module_options.OptionError, match=r"^rules: unknown rule id: nope"):
        module_options.options_from({"rules": ["nope"], "nginx_version": "1.22.1"})
    params.update(template_env_files=[], template_variables={"A": "1"})
    assert module_options.source_from(params).kind == TEMPLATE
    params.update(template_variables=None, root=str(tmp_path))
    assert (module_options.source_from(params).kind, module_options.source_from(params).root) == (FILE, str(tmp_path))


def test_every_module_option_of_the_source_is_documented_once_in_the_fragment():
    import yaml

    from ansible_collections.preflight.nginx.plugins.doc_fragments.config_source import ModuleDocFragment

    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert sorted(documented) == sorted(module_options.SOURCE_SPEC)
    for name, spec in module_options.SOURCE_SPEC.items():
        assert documented[name]["type"] == spec["type"], name
        assert documented[name].get("default") == spec.get("default"), name
        assert documented[name].get("choices") == spec.get("choices"), name


# --- rule scopes -------------------------------------------------------------------------------------------

def test_every_rule_declares_what_it_needs_to_see():
    assert all(rule.scope in SCOPES for rule in RULES.values())
    with pytest.raises(ValueError, match="scope must be one of"):
        type(RULES["syntax-error"])("x", "error", "s", "w" * 100, "a", "b", scope="server")


def test_tree_rules_are_held_back_on_a_fragment_and_run_on_the_whole_tree(tmp_path):
    # A Debian site file checked alone: its includes are relative to /etc/nginx, its certificate and
    # resolver may come from the http block, its upstream may be used elsewhere.
    site = ("upstream spare { server 127.0.0.1:9000; }\n"
            "server {\n    listen 443 ssl;\n    include snippets/ssl.conf;\n"
            "    location / { proxy_pass http://127.0.0.1:8080; }\n}\n")
    (tmp_path / "site").write_text(site)
    assert rules_at(engine.check(Source.file(str(tmp_path / "site"), context="auto"))) == []
    (tmp_path / "nginx.conf").write_text("events {}\nhttp {\n%s}\n" % site)
    found = {rule for rule, _file, _line in rules_at(engine.check_file(str(tmp_path / "nginx.conf")))}
    assert found == {"include-error", "ssl-without-certificate", "unused-upstream"}
    assert {RULES[rule].scope for rule in found} == {TREE}


def test_directive_and_file_rules_still_run_on_a_fragment(tmp_path):
    (tmp_path / "site").write_text("server {\n    listen 80;\n    listen 80;\n"
                                   "    location / { proxy_pass http://0:8082; }\n}\n")
    assert rules_at(engine.check(Source.file(str(tmp_path / "site"), context="auto"))) == [
        ("duplicate-listen", "site", 3), ("unspecified-connect-address", "site", 4)]


def test_the_lint_rule_takes_its_rules_from_the_scopes():
    import sys

    sys.path.insert(0, os.path.join(ROOT, "extensions", "ansible_lint_rules", "preflight_nginx"))
    try:
        import preflight_nginx_config
    finally:
        sys.path.pop(0)
    expected = [rule.id for rule in RULES.values() if rule.scope == DIRECTIVE and rule.severity != "info"]
    assert expected == preflight_nginx_config.TEMPLATE_RULES
    assert "unspecified-connect-address" in expected and "duplicate-listen" not in expected


# --- one line per finding ---------------------------------------------------------------------------------

def test_a_finding_has_one_line_form_for_every_message():
    finding = Finding("invalid-port", "error", "port 0", "/etc/nginx/a.conf", 3, hint="use 1-65535")
    assert finding.one_line() == "/etc/nginx/a.conf:3: error[invalid-port] port 0"
    assert finding.one_line(hint=True) == "/etc/nginx/a.conf:3: error[invalid-port] port 0 (help: use 1-65535)"
    assert Finding("syntax-error", "error", "bad", "x.conf", None).one_line() == "x.conf:-: error[syntax-error] bad"


def test_modules_read_a_path_as_the_command_line_does(tmp_path):
    (tmp_path / "nginx.conf").write_text(INCIDENT)
    (tmp_path / "saved-T.txt").write_text(DUMP_TEXT)
    params = {"path": str(tmp_path), "prefix": None, "context": "auto", "root": None, "source": "files",
              "template_variables": None, "template_env_files": [], "template_env_filter": None,
              "nginx_binary": "nginx"}
    directory = module_options.source_from(params)
    assert (directory.kind, directory.path) == (FILE, str(tmp_path / "nginx.conf"))
    saved = module_options.source_from(dict(params, path=str(tmp_path / "saved-T.txt")))
    assert saved.kind == DUMP


def test_the_lint_rule_does_not_count_the_arguments_of_a_jinja_value():
    """geerlingguy.nginx's templates/nginx.conf.j2: "proxy_cache_path {{ nginx_proxy_cache_path }};" is
    one Jinja value that renders to several words; counting it as one argument was a false error."""
    import sys

    sys.path.insert(0, os.path.join(ROOT, "extensions", "ansible_lint_rules", "preflight_nginx"))
    try:
        import preflight_nginx_config
    finally:
        sys.path.pop(0)
    text = "events {}\nhttp {\n{% if path %}\n    proxy_cache_path {{ nginx_proxy_cache_path }};\n{% endif %}\n}\n"
    assert "invalid-arguments" not in preflight_nginx_config.TEMPLATE_RULES
    assert engine.check_text(preflight_nginx_config.without_jinja(text),
                             select=preflight_nginx_config.TEMPLATE_RULES).findings == []
    # Outside a template the count is nginx's, and a file checked alone still gets it.
    assert [f.rule for f in engine.check_text("events {}\nhttp {\n    proxy_cache_path /x;\n}\n").findings] == [
        "invalid-arguments"]
