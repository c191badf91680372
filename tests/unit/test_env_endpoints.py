"""Env files and endpoint variables."""

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils import env_endpoints as env

ENV_FILE = r"""# /etc/default/shop
; an old-style comment
export BACKEND_URL=http://0:8080
CACHE_HOST = cache.internal:6379   # trailing comment
DB_DSN="postgres://shop@db.internal:5432/shop"
GREETING='single "quoted" # not a comment'
MOTD="line one\
 continued"
LISTEN_ADDR=0.0.0.0:8080
ADMIN_PORT=80800
MULTI='first
second'
TEMPLATED_URL={{ backend_url }}
"""


def test_parse_env_file_syntax():
    entries = env.parse_env_text(ENV_FILE, "/etc/default/shop")
    values = {key: (value, line) for key, value, line in entries}
    assert values["BACKEND_URL"] == ("http://0:8080", 3)
    assert values["CACHE_HOST"] == ("cache.internal:6379", 4)
    assert values["DB_DSN"] == ("postgres://shop@db.internal:5432/shop", 5)
    assert values["MOTD"] == ("line one continued", 7)
    assert values["MULTI"] == ("first\nsecond", 11)
    assert values["LISTEN_ADDR"][1] == 9
    assert values["GREETING"] == ("single \"quoted\" # not a comment", 6)


def test_endpoint_keys_are_judged_with_the_engine():
    items = [(k, v, "/etc/default/shop", n) for k, v, n in env.parse_env_text(ENV_FILE, "/etc/default/shop")]
    results = {r["key"]: r for r in env.check_variables(items)}
    assert set(results) == {"BACKEND_URL", "CACHE_HOST", "DB_DSN", "LISTEN_ADDR", "ADMIN_PORT", "TEMPLATED_URL"}
    assert [p["code"] for p in results["BACKEND_URL"]["problems"]] == ["unspecified-connect-address"]
    assert results["BACKEND_URL"]["problems"][0]["message"].startswith('BACKEND_URL: "0" is the unspecified')
    assert results["LISTEN_ADDR"]["problems"] == []  # bound to, so 0.0.0.0 means every address
    assert [p["code"] for p in results["ADMIN_PORT"]["problems"]] == ["invalid-port"]
    assert results["CACHE_HOST"]["problems"] == results["DB_DSN"]["problems"] == []
    assert results["TEMPLATED_URL"]["problems"] == []


@pytest.mark.parametrize("text, line, message", [
    ("GOOD=1\nthis is not an assignment\n", 2, "expected KEY=value"),
    ("GOOD=1\n\nBAD KEY=1\n", 3, "invalid variable name"),
    ('A="never closed\nB=2\n', 1, "unterminated double quote"),
    ("A='x' trailing\n", 1, "unexpected text after the closing quote"),
])
def test_malformed_env_files_name_the_line(text, line, message):
    with pytest.raises(env.EnvFileError) as caught:
        env.parse_env_text(text, "/srv/app/.env")
    assert caught.value.line == line and message in str(caught.value)
    assert str(caught.value).startswith("/srv/app/.env:%d: " % line)


def test_explicit_keys_and_empty_values():
    results = env.check_variables([("UPSTREAM", "", None, None), ("NAME", "x", None, None)], keys=["UPSTREAM"])
    assert [r["key"] for r in results] == ["UPSTREAM"]
    assert results[0]["problems"][0]["message"] == "UPSTREAM is empty"
