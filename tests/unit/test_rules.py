"""Every rule, judged by its own examples: the bad one yields exactly that rule
at exactly the marked line, the good one yields nothing at all."""

import os

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils import engine
from ansible_collections.preflight.nginx.plugins.module_utils.cli import rule_docs
from ansible_collections.preflight.nginx.plugins.module_utils.findings import EXPECT_MARKER, SEVERITIES
from ansible_collections.preflight.nginx.plugins.module_utils.host import backends
from ansible_collections.preflight.nginx.plugins.module_utils.rules import RULES

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES_DIR = os.path.join(ROOT, "plugins", "module_utils", "rules")


def _without_markers(text):
    return "\n".join(line.split(EXPECT_MARKER)[0].rstrip() if EXPECT_MARKER in line else line
                     for line in text.splitlines()) + "\n"


def _check_example(tmp_path, text, rule, nginx):
    path = tmp_path / rule.example_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_without_markers(text).encode("utf-8", "surrogateescape"))
    report = engine.check_file(str(path), nginx_test=rule.needs_nginx, nginx_binary=nginx or "nginx")
    if rule.needs_probe:
        backends.probe_into(report, "warning", 1)
    return [(f.rule, f.line) for f in report.findings]


@pytest.fixture
def nginx_if_needed(request):
    rule = request.getfixturevalue("rule")
    return request.getfixturevalue("nginx") if rule.needs_nginx else None


@pytest.fixture(params=list(RULES), ids=list(RULES))
def rule(request):
    return RULES[request.param]


def test_bad_example_yields_exactly_this_rule_on_the_marked_line(tmp_path, rule, nginx_if_needed):
    assert rule.bad_line, "%s: the bad example marks no line with %r" % (rule.id, EXPECT_MARKER)
    if rule.needs_host_file and not os.path.isfile(rule.needs_host_file):
        pytest.skip("the bad example reads %s, which this machine lacks" % rule.needs_host_file)
    found = _check_example(tmp_path, rule.bad, rule, nginx_if_needed)
    assert found == [(rule.id, rule.bad_line)]


def test_good_example_is_silent(tmp_path, rule, nginx_if_needed):
    assert _check_example(tmp_path, rule.good, rule, nginx_if_needed) == []


def test_rule_metadata_is_complete(rule):
    assert rule.id == rule.id.lower() and " " not in rule.id and "_" not in rule.id
    assert rule.severity in SEVERITIES
    assert rule.summary and len(rule.why) > 100
    assert rule.bad.count(EXPECT_MARKER) == 1


def test_every_rule_file_is_registered():
    files = sorted(f[:-3] for f in os.listdir(RULES_DIR) if f.endswith(".py") and f != "__init__.py")
    registered = sorted(r.id.replace("-", "_") for r in RULES.values())
    assert files == registered, "import every rule module in rules/__init__.py (file name = rule id with _)"


def test_rule_docs_are_up_to_date():
    docs = os.path.join(ROOT, "docs", "rules")
    expected = rule_docs.pages()
    actual = {}
    for name in os.listdir(docs):
        if name.endswith(".md"):
            with open(os.path.join(docs, name), encoding="utf-8") as handle:
                actual[name] = handle.read()
    assert actual == expected, "run: nginx-preflight docs docs/rules"
