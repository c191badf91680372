"""Env files and endpoint variables."""

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils import env_endpoints
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


@pytest.mark.parametrize("key, value", [
    ("HOST", "0.0.0.0"), ("LISTEN_HOST", "::"), ("app_host", "0.0.0.0"), ("elasticsearch_network_host", "0.0.0.0"),
    ("kibana_server_host", "0.0.0.0"), ("grafana_server_http_addr", "0.0.0.0"), ("consul_client_addr", "0.0.0.0"),
    ("sonar_web_host", "0.0.0.0"), ("minio_server_addr", ":9000"), ("ASPNETCORE_URLS", "http://0.0.0.0:5000"),
    ("BIND_ADDR", "[::]:8080"), ("prometheus_web_listen_address", "0.0.0.0:9090"), ("APP_IP", "0"),
])
def test_bind_values_may_be_every_address(key, value):
    assert env_endpoints.role(key, value) == env_endpoints.BIND
    assert env_endpoints.judge(key, value) == []


@pytest.mark.parametrize("key, value, code", [
    ("app_host", "0.0.0.0:99999", "invalid-port"),
    ("LISTEN_ADDR", "300.1.1.1:80", "malformed-address"),
    ("BACKEND_URL", "http://0:8080", "unspecified-connect-address"),
    ("API_ENDPOINT", "0.0.0.0:80", "unspecified-connect-address"),
    ("shop_upstream", "0:8081", "unspecified-connect-address"),
    ("CACHE_URL", "redis://0:6379", "unspecified-connect-address"),
])
def test_what_is_wrong_for_the_role_stays_an_error(key, value, code):
    assert [(p["code"], p["severity"]) for p in env_endpoints.judge(key, value)] == [(code, "error")]


def test_a_host_of_a_service_clients_use_at_every_address_is_a_warning():
    for key in ("DB_HOST", "REDIS_HOST", "cache_host"):
        problems = env_endpoints.judge(key, "0.0.0.0")
        assert [p["severity"] for p in problems] == ["warning"]
        assert "right if a server listens on it" in problems[0]["message"]
    # A host name variable holding "0" is a host (inet_aton), not a port.
    assert [p["code"] for p in env_endpoints.judge("REDIS_HOST", "0")] == ["unspecified-connect-address"]
    # The gate's endpoints are connect targets whatever their name.
    assert [p["severity"] for p in env_endpoints.judge("app_host", "0.0.0.0", "connect")] == ["error"]


def test_no_message_carries_a_password():
    problems = env_endpoints.judge("DATABASE_URL", "postgres://app:S3cretPw@0:5432/app")
    assert problems and all("S3cretPw" not in p["message"] for p in problems)


def test_values_rendered_later_are_not_judged():
    # ansible-community/ansible-consul vars/RedHat.yml: a URL chosen by a Jinja if.
    value = "{% if (ansible_distribution == 'Fedora') %}https://rpm.example/fedora.repo{% else %}x{% endif %}"
    assert env_endpoints.judge("consul_repo_url", value) == []


# Precision on public repositories (issue 15): each case below was a false finding there,
# rewritten here in our own names and values.

@pytest.mark.parametrize("key, value", [
    ("chat_bot_hostname", ""), ("mariadb__server", ""), ("metrics_exposure_hostname", "  "), ("smtp_relay_host", None),
])
def test_empty_role_defaults_are_not_findings(key, value):
    # A default left empty is "set it later" or "off": judge values, not their absence.
    assert env_endpoints.judge(key, value) == []
    assert env_endpoints.check_variables([(key, value, "defaults/main.yml", 3)])[0]["problems"] == []


def test_an_empty_value_is_a_finding_where_the_caller_names_it_an_endpoint():
    # env_check keys=[...] and the gate (select_all, role=connect) say "this must be an endpoint".
    named = env_endpoints.check_variables([("UPSTREAM", "", None, None)], keys=["UPSTREAM"])
    gate = env_endpoints.check_variables([("shop_backend", "", None, None)], select_all=True, value_role="connect")
    assert [p["message"] for p in named[0]["problems"]] == ["UPSTREAM is empty"]
    assert [p["message"] for p in gate[0]["problems"]] == ["shop_backend is empty"]


@pytest.mark.parametrize("key, value", [
    ("shop_protected_uri", "/admin/|/api/|/metrics"),     # an nginx location regex
    ("shop_location_uri", "^/(static|media)/"),
    ("forge_webhook_public_endpoint", "/hooks"),
    ("base_url", "/"),
    ("conf_dir_host", "/etc/app/conf.d"),                  # a directory on the host
    ("backup_target_host", "~/backups"),
])
def test_paths_and_regexes_in_endpoint_names_are_not_judged(key, value):
    assert env_endpoints.not_an_address(key, value)
    assert env_endpoints.judge(key, value) == []


@pytest.mark.parametrize("key, value", [
    ("libvirt_uri", "qemu:///system"),                     # libvirt's local system daemon
    ("docker_host", "unix:///var/run/docker.sock"),
    ("seed_url", "file:///srv/seed/index.json"),
    ("ldap_uri", "ldapi:///"),
    ("slapd_uri", "ldapi://%2Frun%2Fslapd%2Fldapi"),       # the host is an encoded socket path
    ("app_database_url", "postgresql:///shop"),            # PostgreSQL over its local socket
    ("app_dsn", "postgresql://shop@/shop?host=/run/postgresql"),
    ("cache_url", "sqlite:////var/lib/app/cache.db"),
    ("health_url", "http+unix://%2Frun%2Fapp.sock/health"),
    ("queue_url", "redis+socket:///run/redis/redis.sock"),
])
def test_uris_that_name_no_network_host_are_not_judged(key, value):
    assert env_endpoints.judge(key, value) == []


@pytest.mark.parametrize("key, value, code", [
    ("api_url", "https:///v1", "malformed-address"),                   # a web URL needs its host
    ("libvirt_uri", "qemu+ssh://0/system", "unspecified-connect-address"),  # a remote libvirt is a network target
    ("ldap_uri", "ldap://0:389", "unspecified-connect-address"),
    ("app_database_url", "postgresql://shop@0:5432/shop", "unspecified-connect-address"),
])
def test_network_uris_of_other_schemes_are_still_judged(key, value, code):
    assert [p["code"] for p in env_endpoints.judge(key, value)] == [code]


@pytest.mark.parametrize("key, value", [
    ("zwave_serial_port", "/dev/ttyUSB0"),
    ("console_serial_port", "ttyS0"),
    ("modem_port", "ttyACM0"),
    ("beacon_bluetooth_address", "AA:BB:CC:DD:EE:FF"),    # a MAC address, not host:port
    ("lxc__net_address", "10.0.3.1/24"),                   # an interface address with its prefix
    ("wg_server_address", "fd00:10::1/64"),
    ("theme_git_url", "git@git.example.org:web/theme.git"),  # scp-style remote
    ("saml_entity_uri", "urn:example:sp"),
])
def test_names_that_match_but_hold_no_endpoint(key, value):
    assert env_endpoints.judge(key, value) == []


@pytest.mark.parametrize("key, value, problems", [
    ("read_only_port", "0", []),                           # kubelet: 0 switches the port off
    ("firewall_port", "8443/tcp", []),
    ("passive_port", "30000-30100", []),
    ("admin_port", "80800", ["invalid-port"]),
    ("passive_port", "30000-70000", ["invalid-port"]),
    ("web_port", "eighty", ["invalid-port"]),
])
def test_port_values(key, value, problems):
    assert [p["code"] for p in env_endpoints.judge(key, value)] == problems


@pytest.mark.parametrize("key, value", [
    ("tracing_otlp_endpoint", "[::]:4317"),                # a component connects there: true findings
    ("collector_endpoint", "0.0.0.0:4317"),
    ("BACKEND_URL", "http://0:8080"),
    ("status_url", "0:8080/health"),                       # host:port/path without a scheme, as curl reads it
])
def test_connect_targets_at_every_address_stay_errors(key, value):
    assert [(p["code"], p["severity"]) for p in env_endpoints.judge(key, value)] == [
        ("unspecified-connect-address", "error")]


@pytest.mark.parametrize("key, value", [
    ("app_db_user_host", "%"),                             # MySQL: the user may connect from anywhere
    ("app_db_user_host", "10.0.%"),
    ("search_hosts_url", "https://es1.example.org:9200,https://es2.example.org:9200"),
    ("allowed_host", "127.0.0.1,10.0.0.1"),
    ("app_jdbc_url", "jdbc:postgresql://db.internal:5432/app"),
    ("app_socket_endpoint", "unix:/run/app/app.sock"),
    ("jenkins_http_port", "-1"),                           # Jenkins: -1 switches the HTTP port off
    ("postfix_relay_host", "[smtp.example.org]:587"),      # Postfix: brackets mean "no MX lookup"
    ("app_public_url", "https://<your-domain>/"),          # a placeholder in an example default
])
def test_lists_patterns_and_wrapped_urls_that_are_fine(key, value):
    assert env_endpoints.judge(key, value) == []


@pytest.mark.parametrize("key, value", [
    ("search_hosts_url", "https://es1.example.org:9200,http://0:9200"),  # one bad member of a list
    ("app_jdbc_url", "jdbc:postgresql://0:5432/app"),
    ("grpc_endpoint", "dns:///0:50051"),                   # gRPC: the host follows the empty authority
    ("mail_relay_url", "[0]:587"),
])
def test_lists_and_wrapped_urls_keep_their_errors(key, value):
    assert [p["code"] for p in env_endpoints.judge(key, value)] == ["unspecified-connect-address"]


def test_placeholders_in_targets_are_not_judged():
    # ceph-ansible's maintenance playbook: wait_for host "<your_host>", for whoever copies it.
    assert env_endpoints.target_problems("<your_host>:22", host_only=True) == []
    assert env_endpoints.bind_problems("<your_host>:22") == []
    assert [p["code"] for p in env_endpoints.target_problems("bad host:22")] == ["malformed-address"]
