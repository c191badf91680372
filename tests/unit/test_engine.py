"""The engine as a whole: loading, includes, suppressions, selection, contexts."""

import os

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils import engine, facts, model
from ansible_collections.preflight.nginx.plugins.module_utils.source import Source


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(root / "nginx.conf")


def found(report):
    return [(f.rule, os.path.basename(f.file), f.line) for f in report.findings]


def test_includes_resolve_from_the_main_files_directory_and_report_every_problem(tmp_path):
    main = write(tmp_path, {
        "nginx.conf": "events {}\nhttp {\n    include conf.d/*.conf;\n}\n",
        "conf.d/a.conf": "upstream app {\n    server 0:80;\n}\n",
        "conf.d/b.conf": ("server {\n    listen 127.0.0.1:8080;\n    location / {\n"
                          "        proxy_pass http://app;\n    }\n    location /x/ {\n"
                          "        proxy_pass http://0.0.0.0:8082;\n    }\n}\n"),
    })
    report = engine.check_file(main)
    assert found(report) == [("unspecified-connect-address", "a.conf", 2),
                             ("unspecified-connect-address", "b.conf", 7)]
    assert report.findings[1].context == "http > server(127.0.0.1:8080) > location /x/"
    assert report.findings[0].directive == "server 0:80"
    assert len(report.files) == 3


def test_relative_includes_start_at_the_main_files_folder_whatever_the_prefix(tmp_path):
    # nginx -p sets where pid and logs go; includes start at the folder of -c (its conf prefix).
    write(tmp_path, {"etc/nginx.conf": "events {}\nhttp {\n    include sites/*.conf;\n}\n",
                     "etc/sites/s.conf": "upstream a {\n}\n",
                     "prefix/sites/p.conf": "upstream b {\n    server 0:80;\n}\n"})
    report = engine.check(Source.file(str(tmp_path / "etc/nginx.conf"), prefix=str(tmp_path / "prefix")))
    assert found(report) == [("empty-upstream", "s.conf", 1), ("unused-upstream", "s.conf", 1)]


def test_a_file_included_twice_is_checked_in_both_places(tmp_path):
    main = write(tmp_path, {
        "nginx.conf": ("events {}\nhttp {\n    server {\n        listen 8080;\n        include proxy.inc;\n    }\n"
                       "    server {\n        listen 8081;\n        include proxy.inc;\n    }\n}\n"),
        "proxy.inc": "location / {\n    proxy_pass http://127.0.0.1:8081;\n}\n",
    })
    assert found(engine.check_file(main)) == [("proxy-loop", "proxy.inc", 2)]


@pytest.mark.parametrize("files, expected", [
    ({"nginx.conf": "events {}\ninclude missing.conf;\n"}, [("include-error", "nginx.conf", 2)]),
    ({"nginx.conf": "events {}\ninclude a.conf;\n", "a.conf": "include nginx.conf;\n"},
     [("include-error", "a.conf", 1)]),
    ({"nginx.conf": "events {}\ninclude d;\n", "d/x.conf": "\n"}, [("include-error", "nginx.conf", 2)]),
    ({"nginx.conf": "events {}\ninclude bin.conf;\n", "bin.conf": b"\x7fELF\x00\x01\x02"},
     [("syntax-error", "bin.conf", 1)]),
    ({"nginx.conf": b"events {}\n# caf\xe9\nhttp {}\n"}, [("invalid-encoding", "nginx.conf", 2)]),
    ({"nginx.conf": "events {}\nhttp {\n    server {\n"}, [("syntax-error", "nginx.conf", 3)]),
    ({"nginx.conf": "events {}\nhttp {\n}\n}\n"}, [("syntax-error", "nginx.conf", 4)]),
    ({"nginx.conf": "events {}\nhttp { server { listen 80 }\n}\n"}, [("syntax-error", "nginx.conf", 2)]),
    # crossplane misses a "}" ending a directive in an included file (it knows no context there); nginx does not
    ({"nginx.conf": "events {}\nhttp { include conf.d/*.conf; }\n", "conf.d/shop.conf": "server {\n    listen 80\n}\n"},
     [("syntax-error", "shop.conf", 2)]),
])
def test_bad_input_becomes_findings_with_file_and_line(tmp_path, files, expected):
    assert found(engine.check_file(write(tmp_path, files))) == expected


def test_a_site_file_checked_alone_has_its_missing_semicolon_found(tmp_path):
    write(tmp_path, {"shop.conf": "server {\n    listen 80\n}\nserver { listen 81; }\n"})
    report = engine.check(Source.file(str(tmp_path / "shop.conf"), context="auto"))
    assert found(report) == [("syntax-error", "shop.conf", 2)]
    write(tmp_path, {"lua.conf": "server {\n  location / {\n    content_by_lua_block {\n      local t = { a = 1 }\n"
                                 "    }\n  }\n  listen 80;\n}\n"})
    lua = found(engine.check(Source.file(str(tmp_path / "lua.conf"), context="auto")))
    assert [f for f in lua if f[0] == "syntax-error"] == []


def test_unreadable_included_file_names_the_include(tmp_path):
    main = write(tmp_path, {"nginx.conf": "events {}\ninclude secret.conf;\n", "secret.conf": "\n"})
    os.chmod(tmp_path / "secret.conf", 0)
    try:
        if os.access(tmp_path / "secret.conf", os.R_OK):
            pytest.skip("running as root: permissions do not stop reading")
        assert found(engine.check_file(main)) == [("include-error", "nginx.conf", 2)]
    finally:
        os.chmod(tmp_path / "secret.conf", 0o644)


def test_a_file_that_cannot_be_read_names_the_include(tmp_path):
    # /proc/self/mem opens but every read fails (EIO), even for root: a stand-in for a bad disk.
    main = write(tmp_path, {"nginx.conf": "events {}\ninclude /proc/self/mem;\n"})
    report = engine.check_file(main)
    assert found(report) == [("include-error", "nginx.conf", 2)]
    assert "cannot read included file /proc/self/mem" in report.findings[0].message


def test_missing_main_file_is_a_load_error(tmp_path):
    with pytest.raises(engine.ConfigLoadError, match="does-not-exist"):
        engine.check_file(str(tmp_path / "does-not-exist.conf"))


SUPPRESSED = """events {}
http {
    upstream app {
        # preflight: ignore[unspecified-connect-address] the test double binds every address
        server 0:80;
        server 0:81;  # preflight: ignore[unspecified-connect-address] same double
        server 0:82;
    }
    server {
        listen 8080;
        location / { proxy_pass http://app; }
    }
}
"""


def test_suppressions_cover_their_line_and_the_next():
    report = engine.check_text(SUPPRESSED)
    assert [(f.rule, f.line) for f in report.findings] == [("unspecified-connect-address", 7)]
    assert [f.line for f in report.suppressed] == [5, 6]


@pytest.mark.parametrize("comment, message", [
    ("# preflight: ignore[unspecified-connect-address]", "gives no reason"),
    ("# preflight: ignore[unspecified-adress] typo", "unknown rule unspecified-adress"),
    ("# preflight: ignore because", "names no rule"),
])
def test_bad_suppressions_are_findings(comment, message):
    text = "events {}\nhttp {\n    upstream app {\n        %s\n        server 127.0.0.1:8081;\n    }\n" \
           "    server { location / { proxy_pass http://app; } }\n}\n" % comment
    report = engine.check_text(text)
    assert [(f.rule, f.line) for f in report.findings] == [("invalid-suppression", 4)]
    assert message in report.findings[0].message


def test_select_and_ignore():
    text = "events {}\nhttp {\n    upstream a { server 0:80; }\n    upstream b { }\n}\n"
    assert {f.rule for f in engine.check_text(text).findings} == {
        "unspecified-connect-address", "empty-upstream", "unused-upstream"}
    assert {f.rule for f in engine.check_text(text, select=["empty-upstream"]).findings} == {"empty-upstream"}
    assert {f.rule for f in engine.check_text(text, ignore=["unused-upstream", "empty-upstream"]).findings} == {
        "unspecified-connect-address"}
    with pytest.raises(ValueError, match="unknown rule id: no-such-rule"):
        engine.check_text(text, ignore=["no-such-rule"])


def test_modern_directives_are_not_rejected():
    text = ("events {}\nhttp {\n    server {\n        listen 127.0.0.1:443 quic reuseport;\n"
            "        listen 127.0.0.1:443 ssl;\n        http2 on;\n        http3 on;\n"
            "        ssl_certificate /c.pem;\n        ssl_certificate_key /c.key;\n"
            "        ssl_reject_handshake off;\n        quic_retry on;\n    }\n}\n")
    assert engine.check_text(text).findings == []


@pytest.mark.parametrize("text, rule", [
    ("stream {\n    server {\n        listen 127.0.0.1:5432;\n        proxy_pass db;\n    }\n}\n", "unknown-upstream"),
    ("stream {\n    upstream db { server 127.0.0.1; }\n    server { listen 5432; proxy_pass db; }\n}\n",
     "missing-port"),
    ("stream {\n    server { listen 5432 udp defualt_server; proxy_pass 127.0.0.1:5433; }\n}\n",
     "invalid-listen-parameter"),
    ("mail {\n    server { listen 127.0.0.1:25 http2; }\n}\n", "invalid-listen-parameter"),
    ("http {\n    server {\n        location / { proxy_pass http://backend.internal$request_uri; }\n    }\n}\n",
     "resolver-missing"),
    ("http {\n    upstream app { server 127.0.0.1:8081; }\n    server {\n        listen 80;\n"
     "        location / { proxy_pass http://app$request_uri; }\n    }\n}\n", None),
    ("http {\n    upstream app { server 127.0.0.1:80; }\n    server {\n        listen 80;\n"
     "        location / { proxy_pass http://app; }\n    }\n}\n", "proxy-loop"),
    ("http {\n    upstream app { server 127.0.0.1:80; }\n    server {\n        listen 80;\n"
     "        location / { proxy_set_header Host other; proxy_pass http://app; }\n    }\n}\n", None),
    ("http {\n    server { listen 80; }\n    server { server_name a; }\n    server { server_name a; }\n}\n",
     "conflicting-server-name"),
    ("http {\n    upstream app { server 127.0.0.1:81; }\n    map $host $b { default app; }\n"
     "    server { location / { proxy_pass http://$b; } }\n    resolver 127.0.0.53;\n}\n", None),
])
def test_contexts(text, rule):
    rules = {f.rule for f in engine.check_text("events {}\n" + text).findings}
    assert rules == ({rule} if rule else set())


def test_facts_report_sockets_upstreams_and_targets(tmp_path):
    main = write(tmp_path, {"nginx.conf": (
        "events {}\nhttp {\n    upstream app {\n        server 127.0.0.1:8081 max_fails=3;\n    }\n"
        "    server {\n        listen 0:8080 default_server;\n        server_name shop;\n"
        "        location / { proxy_pass http://app; }\n    }\n}\n")})
    data = facts.model_facts(engine.check_file(main).model)
    assert [(x["display"], x["default_server"], x["server_names"], x["line"]) for x in data["listen"]] == [
        ("0.0.0.0:8080", True, ["shop"], 7)]
    assert data["upstreams"][0]["servers"][0]["parameters"] == ["max_fails=3"]
    assert [(t["directive"], t["upstream"], t["line"]) for t in data["pass_targets"]] == [("proxy_pass", "app", 9)]


SHORT_TYPO = """events {}
http {
    upstream u {
        server 127.0.0.1:8081;
    }
    server {
        listen 127.0.0.1:8080;
        location / {
            proxy_pass http://%s/;
        }
        location /other/ {
            proxy_pass http://%s/;
        }
    }
}
"""


def test_a_short_upstream_name_one_key_off_is_a_misspelling(tmp_path):
    # Found by a new user: nginx -t refuses `host not found in upstream "ux"`; difflib's ratio missed it.
    main = tmp_path / "nginx.conf"
    main.write_text(SHORT_TYPO % ("ux", "ux"))
    errors = [(f.rule, f.line) for f in engine.check_file(str(main)).findings if f.severity == "error"]
    assert errors == [("unknown-upstream", 9), ("unknown-upstream", 12)]


def test_a_service_name_one_key_off_a_used_upstream_stays_an_implicit_upstream(tmp_path):
    main = tmp_path / "nginx.conf"
    main.write_text(SHORT_TYPO % ("u", "ui"))  # upstream u is used; ui is a Compose service
    found = [(f.rule, f.line) for f in engine.check_file(str(main)).findings]
    assert found == [("implicit-upstream", 12)]


def test_one_edit_apart():
    one = model._one_edit_apart
    assert one("ux", "u") and one("u", "ux") and one("apo", "app") and one("pap", "app")
    assert not one("app", "app") and not one("ab", "xyz") and not one("abcd", "badc")


# proxy-loop on a deliberate hop: a pass with a URI part sends a new URI back, and nginx picks the
# location for it again; only a location that sends it back once more makes a loop.
_NEXTCLOUD = """events {}
http {
    server {
        listen 443 ssl;
        server_name cloud.example.com;
        ssl_certificate /etc/ssl/cloud.pem;
        ssl_certificate_key /etc/ssl/cloud.key;
        location ~ ^/remote/(.*)$ {
            proxy_pass https://127.0.0.1/app/remote.php/$1;
        }
        location ~ \\.php(/|$) {
            fastcgi_pass unix:/run/php/php-fpm.sock;
        }
    }
}
"""


def _loop_lines(text):
    return [f.line for f in engine.check_text(text).findings if f.rule == "proxy-loop"]


def _server(*locations):
    return ("events {}\nhttp {\n    server {\n        listen 8080;\n"
            + "".join("        %s\n" % location for location in locations) + "    }\n}\n")


def test_a_hop_into_a_location_that_does_not_proxy_is_no_loop():
    assert _loop_lines(_NEXTCLOUD) == []
    assert engine.check_text(_NEXTCLOUD).findings == []


def test_a_hop_that_lands_back_in_a_proxying_location_is_a_loop_at_its_line():
    # The same server, but the PHP location proxies to this server too.
    text = _NEXTCLOUD.replace("fastcgi_pass unix:/run/php/php-fpm.sock;", "proxy_pass https://127.0.0.1;")
    assert _loop_lines(text) == [9, 12]
    # A static URI in a prefix location gets the rest of the request's URI appended: /x/a/ + rest is /x/ again.
    assert _loop_lines(_server("location /x/ { proxy_pass http://127.0.0.1:8080/x/a/; }")) == [5]


_PASS = "proxy_pass http://127.0.0.1:8080"


@pytest.mark.parametrize("locations, expected", [
    # No URI part: the same URI comes back to the same location.
    (["location /x/ { %s; }" % _PASS, "location / { root /srv; }"], [5]),
    # $request_uri (or any variable first): the original URI, or one nobody can tell.
    (["location /x/ { %s$request_uri; }" % _PASS, "location / { root /srv; }"], [5]),
    (["location /x/ { %s/$uri; }" % _PASS, "location / { root /srv; }"], [5]),
    # The first path segment not known: /s$1, or /static + the rest of a prefix location's URI.
    (["location ~ ^/x/(.*) { %s/s$1; }" % _PASS, "location / { root /srv; }"], [5]),
    (["location /x/ { %s/static; }" % _PASS, "location /static/ { root /srv; }"], [5]),
    # Into a prefix location that serves files: no loop.
    (["location /x/ { %s/static/; }" % _PASS, "location /static/ { root /srv; }"], []),
    # The longest prefix wins: /x/ is shorter than /x/y/.
    (["location /x/ { %s/x/y/; }" % _PASS, "location /x/y/ { root /srv; }"], []),
    (["location /x/y/ { %s/x/z/; }" % _PASS, "location /x/ { %s; }" % _PASS], [5, 6]),
    # "=" wins over every prefix, for exactly its URI: "= /a" sends exactly /x.
    (["location = /x { root /srv; }", "location / { %s; }" % _PASS, "location = /a { %s/x; }" % _PASS], [6]),
    (["location = /x { root /srv; }", "location / { %s; }" % _PASS, "location = /a { %s/x/; }" % _PASS], [6, 7]),
    # A regex wins over a prefix...
    (["location ~ \\.php$ { fastcgi_pass 127.0.0.1:9000; }", "location /app/ { %s; }" % _PASS,
      "location = /a { %s/app/i.php; }" % _PASS], [6]),
    # ...but not over "^~"...
    (["location ~ \\.php$ { fastcgi_pass 127.0.0.1:9000; }", "location ^~ /app/ { %s; }" % _PASS,
      "location = /a { %s/app/i.php; }" % _PASS], [6, 7]),
    # ...and the first regex in file order wins.
    (["location ~ ^/app/ { %s; }" % _PASS, "location ~ \\.php$ { fastcgi_pass 127.0.0.1:9000; }",
      "location = /a { %s/app/i.php; }" % _PASS], [5, 7]),
    (["location ~ \\.php$ { fastcgi_pass 127.0.0.1:9000; }", "location ~ ^/app/ { %s; }" % _PASS,
      "location = /a { %s/app/i.php; }" % _PASS], [6]),
    # "~*" ignores case, "~" does not.
    (["location ~* \\.PHP$ { fastcgi_pass 127.0.0.1:9000; }", "location / { %s; }" % _PASS,
      "location = /a { %s/i.php; }" % _PASS], [6]),
    (["location ~ \\.PHP$ { fastcgi_pass 127.0.0.1:9000; }", "location / { %s; }" % _PASS,
      "location = /a { %s/i.php; }" % _PASS], [6, 7]),
    # A variable after a known start: a regex that may match the rest counts as a landing place...
    (["location ~ ^/remote/(.*)$ { %s/app/$1; }" % _PASS, "location / { root /srv; }",
      "location ~ \\.php$ { %s; }" % _PASS], [5, 7]),
    # ...one that matches the known start already takes it...
    (["location ~ ^/remote/(.*)$ { %s/app/x.php/$1; }" % _PASS, "location ~ \\.php/ { fastcgi_pass 127.0.0.1:9000; }",
      "location ~ ^/app/ { %s; }" % _PASS], [7]),
    # ...and a "^~" prefix covering the known start keeps every regex out.
    (["location ~ ^/remote/(.*)$ { %s/app/$1; }" % _PASS, "location ^~ /app/ { root /srv; }",
      "location ~ \\.php$ { %s; }" % _PASS], [7]),
    # "^~" /app/ is the longest prefix unless the rest of the URI reaches /app/longer/: both can take it.
    (["location ^~ /app/ { %s; }" % _PASS, "location /app/longer/ { root /srv; }",
      "location ~ ^/app/ { fastcgi_pass 127.0.0.1:9000; }", "location ~ ^/remote/(.*)$ { %s/app/$1; }" % _PASS],
     [5, 8]),
    # A location nested in the one it lands in (or an if in it) proxying back is a loop.
    (["location /x/ { %s/app/a; }" % _PASS, "location /app/ { location ~ /a$ { %s; } }" % _PASS], [5, 6]),
    # A rewrite changes the URI again: cannot be told.
    (["rewrite ^/old/(.*)$ /x/$1;", "location /x/ { %s/static/; }" % _PASS, "location /static/ { root /srv; }"], [6]),
    (["location /x/ { rewrite ^ /y/ break; %s/static/; }" % _PASS, "location /static/ { root /srv; }"], [5]),
])
def test_proxy_loop_follows_nginx_location_precedence(locations, expected):
    assert _loop_lines(_server(*locations)) == expected


def test_a_file_is_lexed_again_for_brace_ended_directives_only_when_it_may_hold_one(tmp_path, monkeypatch):
    """The second lex (crossplane checks "listen 80 }" only where it knows the context) doubled the
    cost of every load; a file where each "}" follows ";", "{" or "}" cannot hold one."""
    from ansible_collections.preflight.nginx.plugins.module_utils import nginx_config

    lexed = []
    real_lex = nginx_config.crossplane.lex

    def lex(path, *args, **keywords):
        lexed.append(path)
        return real_lex(path, *args, **keywords)

    monkeypatch.setattr(nginx_config.crossplane, "lex", lex)
    write(tmp_path, {"clean.conf": "server {\n    listen 80;\n    location / { return 204; }\n}\n",
                     "brace.conf": "server {\n    listen 80\n}\n",
                     "var.conf": "server {\n    listen 81;\n    location / { proxy_pass http://${up}; }  # }\n}\n"})
    assert found(engine.check(Source.file(str(tmp_path / "clean.conf"), context="auto"))) == []
    assert [os.path.basename(p) for p in lexed] == []
    assert found(engine.check(Source.file(str(tmp_path / "brace.conf"), context="auto"))) == [
        ("syntax-error", "brace.conf", 2)]
    # A "}" after a word that is not a directive's end (${var}, a comment) costs a lex, and no finding.
    assert [f for f in found(engine.check(Source.file(str(tmp_path / "var.conf"), context="auto")))
            if f[0] == "syntax-error"] == []


def test_a_jinja_template_checked_as_it_is_gets_one_finding_where_the_template_syntax_starts(tmp_path):
    # Field trial (mailcow, jitsi, geerlingguy.nginx): a .j2 checked unrendered gave dozens of cascaded
    # messages ('directive "%" is not terminated', 'unknown directive "{"'), none at the first tag.
    write(tmp_path, {"nginx.conf.j2": "events {}\nhttp {\n    # {{ a comment }}\n    {% if redirect %}\n"
                                      "    server { listen {{ port }}; }\n    {% endif %}\n}\n",
                     "quoted.conf": "events {}\nhttp {\n    server { listen 127.0.0.1:81; "
                                    "location / { return 200 \"{{ not a tag }}\"; } }\n}\n"})
    report = engine.check_file(str(tmp_path / "nginx.conf.j2"))
    assert found(report) == [("syntax-error", "nginx.conf.j2", 4)]
    assert "holds template syntax ({%)" in report.findings[0].message
    assert found(engine.check_file(str(tmp_path / "quoted.conf"))) == []  # "{{" in a string is nginx's
