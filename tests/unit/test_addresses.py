"""The address model against nginx's own reading (shared/reference/nginx-addresses.md)."""

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils import addresses as a


def codes(endpoint):
    return [p.code for p in endpoint.problems]


@pytest.mark.parametrize("text, expected", [
    ("0", 0), ("0.0.0.0", 0), ("0.0", 0), ("0x0", 0), ("00", 0),
    ("127.1", 0x7F000001), ("0x7f.1", 0x7F000001), ("127.0.1", 0x7F000001),
    ("010.0.0.1", 0x08000001), ("1.2.3.4", 0x01020304), ("4294967295", 0xFFFFFFFF),
    ("127.0.0.256", None), ("08.0.0.1", None), ("1.2.3.4.5", None), ("1..2", None), ("1.", None),
    ("256.1", None), ("example.com", None), ("4294967296", None),
])
def test_inet_aton_reads_numbers_like_glibc(text, expected):
    assert a.inet_aton(text) == expected


@pytest.mark.parametrize("value, kind, address, port, problems", [
    ("80", "wildcard", None, 80, []),
    ("*:8080", "wildcard", None, 8080, []),
    ("*", "wildcard", None, 80, []),
    ("127.0.0.1", "ipv4", "127.0.0.1", 80, []),
    ("127.0.0.1:8080", "ipv4", "127.0.0.1", 8080, []),
    ("[::]:443", "ipv6", "::", 443, []),
    ("[::1]", "ipv6", "::1", 80, []),
    ("localhost:8080", "name", None, 8080, []),
    ("unix:/run/nginx.sock", "unix", None, None, []),
    ("8000-8010", "wildcard", None, 8000, []),
    ("0:80", "ipv4", "0.0.0.0", 80, [a.NON_CANONICAL]),
    ("127.1:80", "ipv4", "127.0.0.1", 80, [a.NON_CANONICAL]),
    ("0.0.0.0:80", "ipv4", "0.0.0.0", 80, []),
    ("127.0.0.1:0", "ipv4", "127.0.0.1", None, [a.INVALID_PORT]),
    ("127.0.0.1:65536", "ipv4", "127.0.0.1", None, [a.INVALID_PORT]),
    ("127.0.0.1:", "ipv4", "127.0.0.1", None, [a.INVALID_PORT]),
    ("127.0.0.1:http", "ipv4", "127.0.0.1", None, [a.INVALID_PORT]),
    ("127.0.0.256:80", "invalid", None, None, [a.MALFORMED_ADDRESS]),
    ("::1:8080", "invalid", None, None, [a.MALFORMED_ADDRESS]),
    ("[::1", "invalid", None, None, [a.MALFORMED_ADDRESS]),
    ("[fe80::zz]:80", "invalid", None, None, [a.MALFORMED_ADDRESS]),
    ("unix:", "unix", None, None, [a.MALFORMED_ADDRESS]),
    ("unix:/" + "x" * 107, "unix", None, None, [a.MALFORMED_ADDRESS]),
    ("9000-8000", "wildcard", None, 9000, [a.INVALID_PORT]),
])
def test_listen(value, kind, address, port, problems):
    endpoint = a.parse_listen(value)
    assert (endpoint.kind, endpoint.address, endpoint.port, codes(endpoint)) == (kind, address, port, problems)


def test_listen_sockets_compare_the_way_nginx_binds_them():
    sockets = {a.parse_listen(v).socket for v in ("80", "*:80", "0.0.0.0:80", "0:80")}
    assert sockets == {"*:80"}
    assert a.parse_listen("[::]:80").socket != a.parse_listen("80").socket


def test_stream_listen_needs_a_port():
    assert codes(a.parse_listen("127.0.0.1", "stream")) == [a.MISSING_PORT]


@pytest.mark.parametrize("value, directive, kind, host, port, problems", [
    ("http://127.0.0.1:8080", "proxy_pass", "ipv4", "127.0.0.1", 8080, []),
    ("https://backend.example.com/api/", "proxy_pass", "name", "backend.example.com", 443, []),
    ("http://storefront", "proxy_pass", "name", "storefront", 80, []),
    ("http://0:8082", "proxy_pass", "ipv4", "0", 8082, [a.UNSPECIFIED]),
    ("http://0.0.0.0:8080", "proxy_pass", "ipv4", "0.0.0.0", 8080, [a.UNSPECIFIED]),
    ("http://[::]:8080", "proxy_pass", "ipv6", "::", 8080, [a.UNSPECIFIED]),
    ("http://[::ffff:0.0.0.0]:80", "proxy_pass", "ipv6", "::ffff:0.0.0.0", 80, [a.UNSPECIFIED]),
    ("http://127.1:8080", "proxy_pass", "ipv4", "127.1", 8080, [a.NON_CANONICAL]),
    ("http://unix:/run/app.sock:/uri", "proxy_pass", "unix", None, None, []),
    ("http://$backend", "proxy_pass", "variable", "$backend", None, []),
    ("$scheme://app", "proxy_pass", "variable", None, None, []),
    ("127.0.0.1:8080", "proxy_pass", "invalid", None, None, [a.MALFORMED_ADDRESS]),
    ("ftp://x", "proxy_pass", "invalid", None, None, [a.MALFORMED_ADDRESS]),
    ("http://127.0.0.1:99999", "proxy_pass", "ipv4", "127.0.0.1", None, [a.INVALID_PORT]),
    ("http://::1:8080", "proxy_pass", "invalid", "", None, [a.MALFORMED_ADDRESS]),
    ("127.0.0.1:9000", "fastcgi_pass", "ipv4", "127.0.0.1", 9000, []),
    ("0:9000", "fastcgi_pass", "ipv4", "0", 9000, [a.UNSPECIFIED]),
    ("unix:/run/php/php-fpm.sock", "fastcgi_pass", "unix", None, None, []),
    ("grpcs://[::1]:50051", "grpc_pass", "ipv6", "::1", 50051, []),
    ("suwsgi://127.0.0.1:3031", "uwsgi_pass", "ipv4", "127.0.0.1", 3031, []),
    ("http://127.0.0.1:9000", "fastcgi_pass", "invalid", None, None, [a.MALFORMED_ADDRESS]),
    ("127.0.0.1:11211/x", "memcached_pass", "invalid", None, None, [a.MALFORMED_ADDRESS]),
])
def test_pass_targets(value, directive, kind, host, port, problems):
    endpoint = a.parse_pass(value, directive)
    assert (endpoint.kind, endpoint.port, codes(endpoint)) == (kind, port, problems)
    if host is not None:
        assert endpoint.host == host


def test_stream_proxy_pass_takes_no_scheme():
    assert codes(a.parse_pass("127.0.0.1:5432", "proxy_pass", "stream")) == []
    assert codes(a.parse_pass("http://127.0.0.1:5432", "proxy_pass", "stream")) == [a.MALFORMED_ADDRESS]


@pytest.mark.parametrize("value, port, problems", [
    ("127.0.0.1", 80, []), ("127.0.0.1:8081", 8081, []), ("backend.internal", 80, []),
    ("0:80", 80, [a.UNSPECIFIED]), ("0", 80, [a.UNSPECIFIED]), ("[::]:80", 80, [a.UNSPECIFIED]),
    ("127.0.0.1:0", None, [a.INVALID_PORT]), ("unix:/run/app.sock", None, []),
    ("127.0.0.1/x", None, [a.MALFORMED_ADDRESS]),
])
def test_upstream_servers(value, port, problems):
    endpoint = a.parse_upstream_server(value)
    assert (endpoint.port, codes(endpoint)) == (port, problems)


def test_stream_upstream_server_needs_a_port():
    assert codes(a.parse_upstream_server("127.0.0.1", "stream")) == [a.MISSING_PORT]


@pytest.mark.parametrize("value, port, problems", [
    ("127.0.0.53", 53, []), ("[::1]:5353", 5353, []), ("2001:db8::1", 53, []),
    ("0.0.0.0", 53, [a.UNSPECIFIED]), ("dns.internal:0", None, [a.INVALID_PORT]),
])
def test_resolver(value, port, problems):
    endpoint = a.parse_resolver(value)
    assert (endpoint.port, codes(endpoint)) == (port, problems)


@pytest.mark.parametrize("value, problems", [
    ("http://127.0.0.1:8080/health", []), ("https://shop.example.com", []),
    ("127.0.0.1:5432", []), ("db.internal", []), ("[::1]:8080", []), ("8080", []),
    ("postgres://user:pw@db.internal:5432/app", []), ("unix:/run/app.sock", []),
    ("http://0:80", [a.UNSPECIFIED]), ("0.0.0.0:8080", [a.UNSPECIFIED]), ("http://[::]/", [a.UNSPECIFIED]),
    ("http://127.0.0.1:0/", [a.INVALID_PORT]), ("70000", [a.INVALID_PORT]),
    ("::1:8080", [a.MALFORMED_ADDRESS]), ("http://999.1.1.1/", [a.MALFORMED_ADDRESS]),
    ("", [a.MALFORMED_ADDRESS]), ("http://exa mple.com/", [a.MALFORMED_ADDRESS]),
])
def test_endpoints_outside_nginx(value, problems):
    assert [p["code"] for p in a.endpoint_problems(value)] == problems


def test_messages_say_what_the_address_means_and_what_to_do():
    problem = a.parse_upstream_server("0:80").problems[0]
    assert "0.0.0.0" in problem.message and "unspecified" in problem.message
    assert "127.0.0.1" in problem.hint
    problem = a.parse_listen("127.1:80").problems[0]
    assert "127.0.0.1" in problem.message and problem.hint == "write 127.0.0.1"


# The host:port sequence every reader shares, and where each one departs from it, message for message.
@pytest.mark.parametrize("parse, value, kind, port, problems", [
    # nginx's first-colon rule: an unbracketed IPv6 address is a host and a bad port...
    (a.parse_listen, "fe80::1", "name", None,
     [("invalid-port", 'listen: invalid port ":1" in "fe80::1"', "a port is a decimal number from 1 to 65535")]),
    (a.parse_upstream_server, "::1", "invalid", None,
     [("malformed-address", 'upstream server: no host in "::1"', "write the address or host name before the port")]),
    # ...except for resolver, which reads it whole (port 53 stays the default)...
    (a.parse_resolver, "::1", "ipv6", 53, []),
    (a.parse_resolver, "1::2:53", "ipv6", 53, []),
    (a.parse_resolver, "[::1]", "ipv6", 53, []),
    # ...and a URL, where the reader says to bracket it.
    (a.parse_endpoint, "::1", "invalid", None,
     [("malformed-address", 'endpoint: IPv6 address "::1" must be written in brackets',
       "write [::1] (with :port after the bracket)")]),
    (a.parse_listen, "[::1]x", "ipv6", None,
     [("malformed-address", 'listen: unexpected "x" after "]" in "[::1]x"', "write [addr]:port")]),
    # "*" is every address for listen only.
    (a.parse_upstream_server, "*:80", "invalid", None,
     [("malformed-address", 'upstream server: invalid host name "*"',
       "a host name has letters, digits, '-' and '.' only")]),
    # listen reports a bad or missing port and how the host reads, both; a connect target stops at the port.
    (a.parse_listen, "0:http", "ipv4", None,
     [("invalid-port", 'listen: invalid port "http" in "0:http"', "a port is a decimal number from 1 to 65535"),
      ("non-canonical-address", 'listen: "0" is read as 0.0.0.0, every IPv4 address by the system resolver',
       'write "*:80" or just "80" so the intent is plain')]),
    (lambda value: a.parse_listen(value, "stream"), "127.1", "ipv4", None,
     [("missing-port", 'listen: no port in "127.1" (stream listen needs one)', "write address:port"),
      ("non-canonical-address", 'listen: "127.1" is read as 127.0.0.1 by the system resolver', "write 127.0.0.1")]),
    (a.parse_upstream_server, "0:http", "ipv4", None,
     [("invalid-port", 'upstream server: invalid port "http" in "0:http"',
       "a port is a decimal number from 1 to 65535")]),
    # A port from a variable: the literal host is still judged.
    (a.parse_pass, "http://127.1:$port", "ipv4", None,
     [("non-canonical-address", 'proxy_pass: "127.1" is read as 127.0.0.1 by the system resolver', "write 127.0.0.1")]),
    # A host from a variable is known at run time only.
    (a.parse_resolver, "$dns", "variable", None, []),
    # A bare number outside nginx is a port, or a host when only a host can be meant.
    (a.parse_endpoint, "0", "port", None,
     [("invalid-port", 'endpoint: port 0 is out of range in "0" (nginx accepts 1-65535)',
       "use a port from 1 to 65535")]),
    (lambda value: a.parse_endpoint(value, host_only=True), "0", "ipv4", None,
     [("unspecified-connect-address", 'endpoint: "0" is the unspecified address (0.0.0.0); it is not a place a client '
       "can connect to: Linux silently connects to the local host, other systems refuse",
       "connect to the backend's real address, or 127.0.0.1 for this host")]),
])
def test_each_reader_splits_host_and_port_as_nginx_does(parse, value, kind, port, problems):
    endpoint = parse(value)
    assert (endpoint.kind, endpoint.port) == (kind, port)
    assert [(p.code, p.message, p.hint) for p in endpoint.problems] == problems


@pytest.mark.parametrize("parse, written, default", [
    (a.parse_listen, "127.0.0.1:8080", "127.0.0.1"),
    (a.parse_upstream_server, "127.0.0.1:8080", "127.0.0.1"),
    (a.parse_pass, "http://127.0.0.1:8080", "http://127.0.0.1"),
    (a.parse_resolver, "127.0.0.53:5353", "127.0.0.53"),
    (a.parse_endpoint, "127.0.0.1:8080", "http://127.0.0.1"),
])
def test_port_explicit_says_whether_a_port_was_written(parse, written, default):
    assert parse(written).port_explicit and not parse(default).port_explicit
    assert parse(default).port is not None
