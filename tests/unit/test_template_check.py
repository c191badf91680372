"""Where preflight.nginx.template's rendered file stands for the engine, and which template line made a line."""

import pytest

from ansible_collections.preflight.nginx.plugins.plugin_utils import template_check

JINJA = ["{{", "}}", "{%", "%}", "{#", "#}"]


def test_template_lines_follow_loops_and_skip_what_is_ambiguous():
    template = ("{% for port in ports %}\nserver { listen {{ port }}; }\n{% endfor %}\n"
                "upstream app {\n    server {{ backend }};\n}\nupstream b {\n    server {{ other }};\n}\n")
    rendered = ("server { listen 1; }\nserver { listen 2; }\n"
                "upstream app {\n    server 0:80;\n}\nupstream b {\n    server 0:81;\n}\n")
    found = template_check.template_lines(template, rendered, JINJA)
    assert found[1] == 2 and found[2] == 2  # both made by the loop's line
    assert found[3] == 4  # a plain line, found where it moved to
    assert 4 not in found and 7 not in found  # "    server X;" matches two template lines, neither by number


def test_template_lines_use_the_task_delimiters():
    found = template_check.template_lines("a;\n[% if x %]\nlisten [[ port ]];\n[% endif %]\n", "a;\nlisten 0;\n",
                                          ["[[", "]]", "[%", "%]", None, None])
    assert found == {1: 1, 2: 3}


def test_tree_main_names_the_argument_that_is_wrong(tmp_path):
    (tmp_path / "etc" / "nginx").mkdir(parents=True)
    (tmp_path / "etc" / "nginx" / "nginx.conf").write_text("events {}\n")
    assert template_check.tree_main(root=str(tmp_path)) == ("/etc/nginx/nginx.conf", {"/": str(tmp_path)})
    assert template_check.tree_main(str(tmp_path / "etc" / "nginx")) == (
        "/etc/nginx/nginx.conf", {"/etc/nginx": str(tmp_path / "etc" / "nginx")})
    with pytest.raises(ValueError, match=r"^config: .*/nowhere does not exist"):
        template_check.tree_main(str(tmp_path / "nowhere"), str(tmp_path))
    (tmp_path / "other.conf").write_text("events {}\n")
    with pytest.raises(ValueError, match=r"^config: .* is not under root"):
        template_check.tree_main(str(tmp_path / "other.conf"), str(tmp_path / "etc"))


def test_a_new_file_is_seen_by_the_glob_that_includes_its_folder(tmp_path):
    tree = tmp_path / "nginx"
    (tree / "conf.d").mkdir(parents=True)
    (tree / "nginx.conf").write_text("events {}\nhttp {\n    include conf.d/*.conf;\n}\n")
    (tree / "conf.d" / "a.conf").write_text("server { listen 80 default_server; }\n")
    rendered = tmp_path / "rendered"
    rendered.write_text("server { listen 80 default_server; }\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    report, note = template_check.check_rendered(str(rendered), "/etc/nginx/conf.d/b.conf", config=str(tree),
                                                 scratch=str(scratch))
    assert note is None and "/etc/nginx/conf.d/b.conf" in report.files
    assert [(f.rule, f.file) for f in report.findings] == [("duplicate-default-server", "/etc/nginx/conf.d/b.conf")]
    with pytest.raises(ValueError, match=r"^dest: conf.d/b.conf must be an absolute path"):
        template_check.check_rendered(str(rendered), "conf.d/b.conf", config=str(tree), scratch=str(scratch))
