# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the preflight.nginx engine (documented in the sidecar .yml files)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.preflight.nginx.plugins.module_utils import addresses, nginx_config


def _text(value, name):
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise AnsibleFilterError("%s: expected a string, got %s" % (name, type(value).__name__))
    return str(value)


def parse_listen(value, protocol="http"):
    """How nginx reads a listen address (kind, address, port, problems)."""
    if protocol not in ("http", "stream", "mail"):
        raise AnsibleFilterError("parse_listen: protocol must be http, stream or mail, not %r" % (protocol,))
    endpoint = addresses.parse_listen(_text(value, "parse_listen"), protocol)
    return dict(endpoint.as_dict(), socket=endpoint.socket, display=endpoint.display)


def parse_endpoint(value):
    """How a client reads a URL or host:port (kind, address, port, problems)."""
    endpoint = addresses.parse_endpoint(_text(value, "parse_endpoint"))
    return dict(endpoint.as_dict(), socket=endpoint.socket, display=endpoint.display)


def endpoint_problems(value):
    """The problems of a URL or host:port; an empty list means it is fine."""
    return addresses.endpoint_problems(_text(value, "endpoint_problems"))


def check_config(text, ignore=None, context="auto", nginx_version=None):
    """Findings for nginx configuration text (includes are not followed)."""
    from ansible_collections.preflight.nginx.plugins.module_utils import engine

    if not nginx_config.HAS_CROSSPLANE:
        raise AnsibleFilterError("check_config needs the Python library crossplane on the controller")
    if not isinstance(text, str):
        raise AnsibleFilterError("check_config: expected configuration text, got %s" % type(text).__name__)
    if isinstance(ignore, str):
        ignore = [ignore]
    try:
        report = engine.check_text(text, ignore=ignore, context=context, nginx_version=nginx_version)
    except ValueError as exc:
        raise AnsibleFilterError("check_config: %s" % exc) from exc
    return [finding.as_dict() for finding in report.findings]


def config_diff(new, old):
    """What changed from ``old`` to ``new`` (config_info results), one line per change."""
    from ansible_collections.preflight.nginx.plugins.module_utils import facts

    for name, value in (("config_diff", new), ("config_diff old", old)):
        if not isinstance(value, dict):
            raise AnsibleFilterError("%s: expected a config_info result, got %s" % (name, type(value).__name__))
    return facts.semantic_diff(old, new)


def env_problems(variables, pattern=None, keys=None, select_all=False, role=None, severity="error"):
    """Endpoint variables of a dict that have problems: [{key, value, problems}]."""
    from ansible_collections.preflight.nginx.plugins.module_utils import env_endpoints

    if not isinstance(variables, dict):
        raise AnsibleFilterError("env_problems: expected a dict of variables, got %s" % type(variables).__name__)
    if role is not None and role not in env_endpoints.ROLES:
        raise AnsibleFilterError("env_problems: role must be one of %s, not %r"
                                 % (", ".join(env_endpoints.ROLES), role))
    items = [(str(key), value, None, None) for key, value in variables.items()]
    try:
        results = env_endpoints.check_variables(items, pattern or env_endpoints.DEFAULT_PATTERN, keys or None,
                                                select_all=bool(select_all), value_role=role)
    except Exception as exc:
        raise AnsibleFilterError("env_problems: %s" % exc) from exc
    if severity not in ("error", "warning"):
        raise AnsibleFilterError("env_problems: severity must be error or warning, not %r" % (severity,))
    wanted = ("error",) if severity == "error" else ("error", "warning")
    found = []
    for result in results:
        problems = [p for p in result["problems"] if p["severity"] in wanted]
        if problems:
            found.append({"key": result["key"], "value": result["value"], "problems": problems})
    return found


class FilterModule:
    def filters(self):
        return {
            "parse_listen": parse_listen,
            "parse_endpoint": parse_endpoint,
            "endpoint_problems": endpoint_problems,
            "check_config": check_config,
            "config_diff": config_diff,
            "env_problems": env_problems,
        }
