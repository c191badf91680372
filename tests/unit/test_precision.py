"""Precision on configurations that work: no false error, warnings worth reading.

The realworld corpus (../shared/corpus/realworld, prepared by its own
prepare.py) holds public configurations that pass nginx -t and serve traffic.
Each fault class below was a false finding on such a configuration, or a real
fault that went unreported; each has its case here.
"""

import collections
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils import engine

CORPUS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))), "shared", "corpus")
REALWORLD = os.path.join(CORPUS, "realworld")

# The one case that is broken upstream, and why it breaks at run time: the docs leave the
# certificate out, so every "listen ... ssl" has no ssl_certificate and nginx refuses to start.
REAL_FAULTS = {
    "synapse-reverse-proxy": [("ssl-without-certificate", 4), ("ssl-without-certificate", 5),
                              ("ssl-without-certificate", 8), ("ssl-without-certificate", 9)],
}

# Warnings and infos on the 55 cases, by rule, each judged by hand:
# - listen-http2-deprecated (info): 6, all true (matomo 2, synapse 4 listen ... http2 lines);
#   they say both forms because no nginx version is given.
# No warning-severity finding at all: the 5 resolver-missing warnings that were here
# (laravel-octane, npm-rootfs, signal-relay, rtd-proxito x2) were all false and are gone.
EXPECTED_COUNTS = {("info", "listen-http2-deprecated"): 6}

pytestmark = pytest.mark.skipif(not os.path.isdir(REALWORLD), reason="shared/corpus is not beside the checkout")


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    out = tmp_path_factory.mktemp("realworld")
    subprocess.run([sys.executable, os.path.join(REALWORLD, "prepare.py"), str(out)], check=True,
                   capture_output=True)
    with open(out / "cases.json", encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def reports(cases):
    return {case["case"]: engine.check_file(case["conf"]) for case in cases}


def test_the_corpus_is_all_there(cases):
    assert len(cases) == 55
    assert sum(case["kind"] == "clean" for case in cases) == 54


def test_no_error_on_a_working_configuration(cases, reports):
    for case in cases:
        report = reports[case["case"]]
        errors = [(f.rule, f.line) for f in report.findings if f.severity == "error"]
        assert errors == REAL_FAULTS.get(case["case"], []), (case["case"], report.findings)


def test_every_finding_names_a_file_line_and_reason(reports):
    for report in reports.values():
        for finding in report.findings:
            assert os.path.isabs(finding.file) and finding.line >= 1 and finding.message.strip()


def test_warning_and_info_counts_are_known(reports):
    counts = collections.Counter((f.severity, f.rule) for report in reports.values()
                                 for f in report.findings if f.severity != "error")
    assert dict(counts) == EXPECTED_COUNTS


def test_with_the_nginx_version_known_only_actionable_advice_remains(cases):
    for case in cases:
        old = engine.check_file(case["conf"], nginx_version="1.22.1")
        assert not [f for f in old.findings if f.rule == "listen-http2-deprecated"]
    matomo = next(c for c in cases if c["case"] == "matomo-nginx")
    new = engine.check_file(matomo["conf"], nginx_version="1.27.4")
    assert [f.line for f in new.findings if f.rule == "listen-http2-deprecated"] == [13, 14]
    assert "this nginx is 1.27.4" in new.findings[0].message


# --- each fault class, from the real case it was found in ----------------------------------------

def rules_at(text, **options):
    return [(f.rule, f.line) for f in engine.check_text(text, **options).findings]


def test_uwsgi_unix_url_is_a_socket_path():
    # searxng's uWSGI template renders unix:///usr/local/searxng/run/socket; tiangolo's image uses it too.
    text = ("events {}\nhttp {\n    server {\n        listen 8080;\n"
            "        location / { uwsgi_pass unix:///tmp/uwsgi.sock; include uwsgi_params; }\n"
            "        location /f { fastcgi_pass unix:///run/php/php-fpm.sock; }\n"
            "        location /g { grpc_pass unix:///run/grpc.sock; }\n    }\n}\n")
    assert rules_at(text) == []
    # proxy_pass still needs its scheme: nginx refuses "proxy_pass unix:///x".
    assert rules_at("events {}\nhttp {\n    server {\n        proxy_pass unix:///x;\n    }\n}\n") == [
        ("malformed-address", 4)]


def test_service_name_without_upstream_is_information_not_an_error():
    # taiga-docker: proxy_pass http://taiga-front/; where taiga-front is a Compose service.
    text = ("events {}\nhttp {\n    upstream taiga-back { server 127.0.0.1:8000; }\n    server {\n"
            "        listen 80;\n        location / { proxy_pass http://taiga-front/; }\n"
            "        location /api { proxy_pass http://taiga-back/api; }\n    }\n}\n")
    assert rules_at(text) == [("implicit-upstream", 6)]
    # Checked on the host itself: a name that resolves stays information, one that does not is an error.
    assert rules_at(text, resolve_hosts=lambda name: name == "taiga-front") == [("implicit-upstream", 6)]
    assert rules_at(text, resolve_hosts=lambda name: False) == [("unknown-upstream", 6)]
    # A misspelling of a defined upstream stays an error, with the name it most likely means.
    typo = text.replace("taiga-front/", "taiga-bakc/")
    found = engine.check_text(typo).findings
    assert [(f.rule, f.line, f.hint) for f in found] == [("unknown-upstream", 6, "did you mean `taiga-back`?")]


def test_no_port_and_no_upstream_is_an_error_nginx_refuses():
    text = "events {}\nhttp {\n    server {\n        location / { fastcgi_pass php; }\n    }\n}\n"
    assert rules_at(text) == [("unknown-upstream", 4)]


def test_scheme_completed_by_a_variable_is_not_malformed():
    # nginx's own tests: proxy_pass http:/$uri; ($uri starts with "/").
    text = ("events {}\nhttp {\n    resolver 127.0.0.53;\n    server {\n"
            "        location / { proxy_pass http:/$uri; }\n    }\n}\n")
    assert rules_at(text) == []
    assert rules_at(text.replace("http:/$uri", "htp:/$uri")) == [("malformed-address", 5)]


@pytest.mark.parametrize("setup, target", [
    # lemmy: set $proxpass "http://lemmy-ui"; proxy_pass $proxpass;
    ('upstream lemmy-ui { server 127.0.0.1:1234; }\n    server {\n        set $proxpass "http://lemmy-ui";',
     "$proxpass"),
    # signal-tls-proxy: a map whose values are upstream names (stream uses the same rule).
    ("upstream a { server 127.0.0.1:1; }\n    upstream b { server 127.0.0.1:2; }\n"
     "    map $host $pool { default a; b.example b; }\n    server {", "http://$pool"),
    # laravel octane: the host is an IP literal, the variable only adds the query string.
    ('server {\n        set $suffix "";\n        set $suffix ?$query_string;', "http://127.0.0.1:8000$suffix"),
    # nginx proxy manager: set $server "127.0.0.1"; proxy_pass $forward_scheme://$server:$port$request_uri;
    ('server {\n        set $forward_scheme http;\n        set $server "127.0.0.1";\n        set $port 80;',
     "$forward_scheme://$server:$port$request_uri"),
    # readthedocs: proxy_pass http://storage:9000/$2; where http://storage:9000/x is used literally too.
    ("server {\n        location = /favicon.ico { proxy_pass http://storage:9000/favicon.ico; }",
     "http://storage:9000/$uri"),
])
def test_no_resolver_needed_when_every_value_is_known(setup, target):
    text = ("events {}\nhttp {\n    %s\n        location / { proxy_pass %s; }\n    }\n}\n" % (setup, target))
    assert rules_at(text) == []


def test_resolver_still_missing_where_a_value_is_a_host_name_or_unknown():
    base = "events {}\nhttp {\n    server {\n        %s\n        location / { proxy_pass %s; }\n    }\n}\n"
    assert rules_at(base % ('set $b "api.example.com:8080";', "http://$b")) == [("resolver-missing", 5)]
    assert rules_at(base % ("", "http://$http_x_backend")) == [("resolver-missing", 5)]
    assert rules_at(base % ("set $b 127.0.0.1:81;", "http://$b$request_uri")) == []


def test_stream_map_to_upstream_names_needs_no_resolver():
    text = ("events {}\nstream {\n    map $ssl_preread_server_name $name {\n        chat.example up;\n"
            "        default deny;\n    }\n    upstream up { server 127.0.0.1:443; }\n"
            "    upstream deny { server 127.0.0.1:1; }\n"
            "    server {\n        listen 443;\n        proxy_pass $name;\n        ssl_preread on;\n    }\n}\n")
    assert rules_at(text) == []


def test_upstream_reached_through_a_variable_is_used():
    text = ("events {}\nhttp {\n    upstream lemmy-ui { server 127.0.0.1:1234; }\n    server {\n"
            '        set $proxpass "http://lemmy-ui";\n        location / { proxy_pass $proxpass; }\n'
            "    }\n}\n")
    assert rules_at(text) == []
    assert rules_at(text.replace("$proxpass;", "http://127.0.0.1:1;")) == [("unused-upstream", 3)]


def test_the_incident_behind_a_variable_is_an_error_where_the_value_is_set():
    text = ("events {}\nhttp {\n    map $http_x_env $api {\n        default 127.0.0.1:9000;\n"
            "        staging 0:9001;\n    }\n    server {\n        listen 8080;\n        set $backend 0:8082;\n"
            "        location / { proxy_pass http://$backend; }\n"
            "        location /api { proxy_pass http://$api$request_uri; }\n    }\n}\n")
    findings = engine.check_text(text).findings
    assert [(f.rule, f.line) for f in findings] == [
        ("unspecified-connect-address", 5), ("unspecified-connect-address", 9)]
    assert findings[1].message.startswith('$backend = "0:8082" makes "proxy_pass http://$backend" (')
    assert ":10) connect to" in findings[1].message


def test_a_cleared_variable_is_not_a_target():
    text = ("events {}\nhttp {\n    server {\n        set $b \"\";\n"
            "        if ($arg_v) { set $b 127.0.0.1:81; }\n        location / { proxy_pass http://$b; }\n"
            "    }\n}\n")
    assert rules_at(text) == []


def test_mail_and_stream_directives_of_stock_nginx_are_known():
    text = ("events {}\nmail {\n    server {\n        listen 127.0.0.1:2525;\n        protocol smtp;\n"
            "        proxy on;\n        proxy_smtp_auth on;\n        smtp_auth none;\n        xclient off;\n"
            "    }\n}\nstream {\n    server {\n        listen 127.0.0.1:5000;\n"
            "        proxy_pass 127.0.0.1:5001;\n        proxy_upstream_buffer 16k;\n    }\n}\n")
    assert rules_at(text) == []


def test_an_empty_statement_is_an_error():
    assert rules_at("pid logs/nginx.pid;;\nevents {}\n") == [("syntax-error", 1)]


def test_a_missing_last_semicolon_says_so():
    findings = engine.check_text("events {}\nworker_processes 1").findings
    assert [(f.rule, f.line) for f in findings] == [("syntax-error", 2)]
    assert findings[0].message == 'unexpected end of file, expecting ";" or "}"'


@pytest.mark.parametrize("version, expected", [
    (None, [("listen-http2-deprecated", 3)]),
    ("1.22.1", []),
    ("1.25.0", []),
    ("1.25.1", [("listen-http2-deprecated", 3)]),
])
def test_http2_advice_fits_the_nginx_that_runs_it(version, expected):
    text = "events {}\nhttp {\n    server { listen 443 ssl http2; ssl_certificate a; ssl_certificate_key b; }\n}\n"
    assert rules_at(text, nginx_version=version) == expected


def test_a_malformed_version_is_refused():
    with pytest.raises(ValueError, match=r"MAJOR\.MINOR"):
        engine.check_text("events {}\n", nginx_version="latest")
