"""Property tests: no input makes the engine raise (>= 10,000 generated cases)."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.preflight.nginx.plugins.module_utils import addresses, engine

ADDRESS_ALPHABET = string.digits + string.ascii_letters[:8] + ".:[]*-/$?x%unix_" + "\u00e9"
address_text = st.one_of(
    st.text(ADDRESS_ALPHABET, max_size=40),
    st.builds(lambda h, p: "%s:%s" % (h, p),
              st.one_of(st.ip_addresses().map(str), st.sampled_from(["0", "127.1", "0x7f.1", "::", "[::1]", "*"])),
              st.integers(-5, 70000)),
    st.text(max_size=30),
)
DIRECTIVES = ["listen", "server", "proxy_pass", "fastcgi_pass", "grpc_pass", "uwsgi_pass", "resolver",
              "server_name", "include", "ssl_certificate", "return", "set", "location", "if", "#"]


@settings(max_examples=6000, deadline=None)
@given(address_text)
def test_address_parsers_never_raise(value):
    for protocol in ("http", "stream", "mail"):
        addresses.parse_listen(value, protocol)
    for directive in addresses.PASS_DIRECTIVES:
        addresses.parse_pass(value, directive)
    addresses.parse_pass(value, "proxy_pass", "stream")
    addresses.parse_upstream_server(value)
    addresses.parse_resolver(value)
    endpoint = addresses.parse_endpoint(value)
    assert isinstance(endpoint.problems, list)
    endpoint.socket, endpoint.display  # noqa: B018 - properties must not raise either


@st.composite
def configs(draw, depth=0):
    lines = []
    for _index in range(draw(st.integers(0, 6))):
        name = draw(st.sampled_from(DIRECTIVES + ["http", "stream", "upstream", "server", "map"]))
        args = draw(st.lists(address_text, max_size=3))
        quoted = " ".join('"%s"' % a.replace('"', "") if draw(st.booleans()) else a for a in args)
        if depth < 3 and draw(st.booleans()):
            lines.append("%s %s {\n%s\n}" % (name, quoted, draw(configs(depth + 1))))
        else:
            lines.append("%s %s%s" % (name, quoted, draw(st.sampled_from([";", "", " {", "}", ";;"]))))
    return "\n".join(lines)


@settings(max_examples=4000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_engine_never_raises_on_generated_configs(text):
    report = engine.check_text(text)
    for finding in report.findings:
        assert finding.rule and finding.line is not None


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_engine_never_raises_on_bytes(data):
    report = engine.check_text(data)
    assert isinstance(report.findings, list)
