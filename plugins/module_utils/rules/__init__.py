# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rule registry.

A rule is one module here that defines RULE. Ansible ships only the modules
a plugin imports, so each rule module is also named once in the import below;
a unit test fails when one is missing, or when its doc page is out of date.
"""
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.rules import (
    backend_unreachable,
    conflicting_server_name,
    duplicate_default_server,
    duplicate_listen,
    empty_upstream,
    implicit_upstream,
    include_error,
    include_outside_tree,
    invalid_arguments,
    invalid_encoding,
    invalid_listen_parameter,
    invalid_port,
    invalid_suppression,
    listen_http2_deprecated,
    malformed_address,
    missing_port,
    nginx_test,
    non_canonical_address,
    proxy_loop,
    resolver_missing,
    shared_ssl_socket,
    ssl_without_certificate,
    syntax_error,
    unknown_directive,
    unknown_upstream,
    unspecified_connect_address,
    unused_upstream,
    upstream_with_port,
)

_MODULES = [module for name, module in sorted(globals().items()) if hasattr(module, "RULE")]

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}

# Rules by id, errors first, then by id.
RULES = dict(sorted(((m.RULE.id, m.RULE) for m in _MODULES),
                    key=lambda item: (SEVERITY_ORDER[item[1].severity], item[0])))
