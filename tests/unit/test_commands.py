"""The command parser every front-end shares: which argument of which tool is a connect target."""

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils import commands


def values(command, variables=None):
    return [(t.tool, t.source, t.value) for t in commands.targets(command, variables)]


@pytest.mark.parametrize("command,expected", [
    ("curl -fsS http://0:80/health", [("curl", "url", "http://0:80/health")]),
    ("wget -qO- http://127.0.0.1:8080/", [("wget", "url", "http://127.0.0.1:8080/")]),
    ("http POST :8080/api a=b X-Token:abc", [("http", "url", "localhost:8080/api")]),
    ("nc -z 0 80", [("nc", "host", "0:80")]),
    ("nc -zv ::1 443", [("nc", "host", "[::1]:443")]),
    ("ab -n 10 -c 2 http://0.0.0.0/", [("ab", "url", "http://0.0.0.0/")]),
    ("sudo -u www timeout 5 curl http://a:1/", [("curl", "url", "http://a:1/")]),
])
def test_the_target_of_each_tool(command, expected):
    assert values(command) == expected


def test_credentials_and_headers_are_never_targets():
    found = values("curl -u admin:S3cret -H 'X-Token:abc' -sH X-Key:k1 -HX-Other:k2 -b sid:1 http://a.example/")
    assert found == [("curl", "url", "http://a.example/")]
    assert values("wget --password=S3cret --header X-T:abc http://a.example/") == [
        ("wget", "url", "http://a.example/")]


def test_resolve_and_connect_to_name_where_curl_really_connects():
    found = values("curl --resolve shop.example:443:0 https://shop.example/health")
    assert ("curl", "--resolve", "0:443") in found
    found = values("curl --connect-to shop.example:443:[::]:8443 https://shop.example/")
    assert ("curl", "--connect-to", "[::]:8443") in found
    found = values("curl --resolve a:80:::1,10.0.0.2 http://a/")
    assert ("curl", "--resolve", "[::1]:80") in found and ("curl", "--resolve", "10.0.0.2:80") in found


def test_a_proxy_is_a_connect_target_and_a_unix_socket_has_no_tcp_target():
    assert ("curl", "-x", "0:3128") in values("curl -x 0:3128 http://a.example/")
    assert ("curl", "-x", "0:3128") in values("curl -sx0:3128 http://a.example/")
    assert values("curl --unix-socket /run/docker.sock http://0/containers/json") == []
    assert values("curl --unix-socket=/run/app.sock http://localhost/health") == []


def test_shell_strings_substitutions_and_pipelines_are_read():
    assert values("sh -c 'sleep 1 && curl -f http://0:80/health'") == [("curl", "url", "http://0:80/health")]
    assert values('STATUS="$(curl -s -o /dev/null -w %{http_code} http://0:80/)"') == [
        ("curl", "url", "http://0:80/")]
    assert values("test `curl -s http://a:1/` = ok || exit 1") == [("curl", "url", "http://a:1/")]
    assert values("cat x | nc localhost 9000") == [("nc", "host", "localhost:9000")]


def test_variables_are_followed_and_unknown_ones_are_marked():
    found = commands.targets("curl -f $BACKEND/health", {"BACKEND": "http://0:80"})
    assert [(t.value, t.variables, t.unknown) for t in found] == [("http://0:80/health", ("BACKEND",), ())]
    found = commands.targets("curl -f ${URL}")
    assert found[0].unknown == ("URL",) and commands.target_problems(found[0]) == []
    found = commands.targets("curl ${URL:-http://0:80}")
    assert found[0].value == "http://0:80"
    found = commands.targets("BACKEND=0:80 curl $BACKEND")
    assert found[0].value == "0:80"


def test_assignments_are_read():
    assert commands.assignments("export BACKEND=0:80; URL=http://a/ curl $URL") == [
        ("BACKEND", "0:80"), ("URL", "http://a/")]


def test_servers_binding_are_not_targets():
    for command in ("gunicorn -b 0.0.0.0:8000 app:app", "uvicorn --host 0.0.0.0 app:app",
                    "python -m http.server --bind 0.0.0.0 8000", "nc -l -p 8080"):
        assert [t for t in commands.targets(command) if commands.target_problems(t)] == [], command


def test_problems_of_the_incident():
    (target,) = commands.targets("curl http://0:80/health")
    assert [p["code"] for p in commands.target_problems(target)] == ["unspecified-connect-address"]
    (target,) = commands.targets("curl http://user:S3cret@0:80/")
    assert all("S3cret" not in p["message"] for p in commands.target_problems(target))


def test_a_command_named_by_a_variable():
    # get.docker.com's style: sh_c='sh -c'; $sh_c "curl ..."; and $SUDO curl ... with SUDO unknown
    assert values('$sh_c "curl -fsSL http://0:80/gpg"', {"sh_c": "sh -c"}) == [("curl", "url", "http://0:80/gpg")]
    assert values('$sh_c "curl -fsSL http://0:80/gpg"') == [("curl", "url", "http://0:80/gpg")]
    assert values("$SUDO curl -fsS http://0:80/") == [("curl", "url", "http://0:80/")]


def test_a_bash_array_is_values_not_a_command():
    # pi-hole's style: the list of firewalld services it expects, one of them named "http"
    assert values('local expected=("http" "https" "dns")') == []
    assert values('ports=(http https); curl -fsS http://0:80/') == [("curl", "url", "http://0:80/")]


def test_curl_run_in_a_container_or_on_another_host_is_still_a_target():
    assert values("docker compose exec -T web curl -fsS http://0:80/health") == [
        ("curl", "url", "http://0:80/health")]
    assert values("kubectl exec deploy/web -c app -- curl -s http://0:80/") == [("curl", "url", "http://0:80/")]
    assert values("docker run --rm curlimages/curl -fsS http://0:80/") == [("curl", "url", "http://0:80/")]
    assert values("ssh web1 'sleep 1; curl -fsS http://0:80/'") == [("curl", "url", "http://0:80/")]
    assert values("docker ps --filter name=curl") == []
    assert values("docker exec db psql -h 0.0.0.0") == []
