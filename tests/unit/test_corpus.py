"""Real configurations nobody on this project wrote (../shared/corpus)."""

import glob
import os

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils import engine

CORPUS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))), "shared", "corpus")
MAIN_FILES = sorted(glob.glob(os.path.join(CORPUS, "*", "*", "nginx.conf"))
                    + glob.glob(os.path.join(CORPUS, "*", "nginx.conf"))
                    + glob.glob(os.path.join(CORPUS, "crossplane-tests", "missing-semicolon", "*.conf")))
BROKEN_ON_PURPOSE = {
    "bad-args": ("invalid-arguments", 1),
    "spelling-mistake": ("unknown-directive", 7),
    "broken-above.conf": ("syntax-error", 4),
    "broken-below.conf": ("syntax-error", 7),
    "includes-regular": ("include-error", 5),
}

pytestmark = pytest.mark.skipif(not MAIN_FILES, reason="shared/corpus is not beside the checkout")


def _name(path):
    parent = os.path.basename(os.path.dirname(path))
    return os.path.basename(path) if parent == "missing-semicolon" else parent


@pytest.mark.parametrize("main_file", MAIN_FILES, ids=[_name(p) for p in MAIN_FILES])
def test_every_tree_parses_or_fails_cleanly(main_file):
    report = engine.check_file(main_file)
    for finding in report.findings:
        assert finding.file and os.path.isabs(finding.file)
        assert finding.line and finding.line >= 1
        assert finding.message
    expected = BROKEN_ON_PURPOSE.get(_name(main_file))
    if expected:
        assert expected in [(f.rule, f.line) for f in report.findings]


def test_the_h5bp_production_tree_is_clean():
    report = engine.check_file(os.path.join(CORPUS, "h5bp", "nginx.conf"))
    assert report.failing("error") == []
    assert len(report.files) >= 7


@pytest.mark.nginx
def test_h5bp_with_nginx_t_agrees(nginx):
    report = engine.check_file(os.path.join(CORPUS, "h5bp", "nginx.conf"), nginx_test=True, nginx_binary=nginx)
    assert report.nginx_test["ran"]
    # The tree names its own user, pid and log paths; only address errors matter here.
    assert [f for f in report.findings if f.rule != "nginx-test" and f.severity == "error"] == []
