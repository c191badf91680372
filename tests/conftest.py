"""Shared test set-up: import the collection from this checkout, find nginx.

The checkout is exposed as ``ansible_collections/preflight/nginx`` through a
symlink under .build/ (made here if missing), so tests, Python imports and
ansible-playbook all use the working tree, not an installed copy.
"""

import os
import shutil
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "preflight", "nginx")
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")


def _link_checkout():
    if os.path.realpath(LINK) != ROOT:
        os.makedirs(os.path.dirname(LINK), exist_ok=True)
        if os.path.lexists(LINK):
            os.unlink(LINK)
        os.symlink(ROOT, LINK)


_link_checkout()
sys.path.insert(0, COLLECTIONS)


def nginx_binary():
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)


@pytest.fixture
def nginx():
    """The nginx binary; CI sets PREFLIGHT_REQUIRE_NGINX=1 so that a missing one fails."""
    path = nginx_binary()
    if path is None:
        if os.environ.get("PREFLIGHT_REQUIRE_NGINX") == "1":
            pytest.fail("nginx is required (PREFLIGHT_REQUIRE_NGINX=1) but not installed")
        pytest.skip("nginx is not installed")
    return path


@pytest.fixture
def ansible_env(tmp_path):
    """Environment for ansible-playbook that finds only this checkout's collection."""
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "False",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_STDOUT_CALLBACK": "test_results_json",
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(ROOT, "tests", "functional", "callback_plugins"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
    })
    return env


@pytest.fixture
def prometheus_tools():
    """{name: path} of Debian's prometheus, promtool and prometheus-node-exporter; CI sets
    PREFLIGHT_REQUIRE_PROMETHEUS=1 so that missing ones fail the tests instead of skipping them."""
    tools = {name: shutil.which(name) for name in ("prometheus", "promtool", "prometheus-node-exporter")}
    missing = sorted(name for name, path in tools.items() if path is None)
    if missing:
        if os.environ.get("PREFLIGHT_REQUIRE_PROMETHEUS") == "1":
            pytest.fail("%s required (PREFLIGHT_REQUIRE_PROMETHEUS=1) but not installed: apt-get install prometheus "
                        "prometheus-node-exporter" % ", ".join(missing))
        pytest.skip("not installed: %s" % ", ".join(missing))
    return tools
