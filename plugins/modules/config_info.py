#!/usr/bin/python
# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: config_info
short_description: Facts about an nginx configuration, read the way nginx reads it
version_added: "0.1.0"
description:
  - Loads the nginx configuration whose main file is O(path), following every C(include), and returns
    its listen sockets, upstreams with their servers, every C(*_pass) target and resolver, each with
    the address nginx will use (C(0:80) is reported as C(0.0.0.0:80)) and its file and line.
  - Judges nothing and never fails on findings; use M(preflight.nginx.validate) for that.
requirements:
  - crossplane (Python library) on the controller; the action plugin ships it to the target for each run
attributes:
  check_mode:
    support: full
    description: The module only reads.
  diff_mode:
    support: none
    description: Nothing is changed.
seealso:
  - module: preflight.nginx.validate
extends_documentation_fragment:
  - preflight.nginx.config_source
author:
  - preflight.nginx contributors (@preflight-nginx)
"""

EXAMPLES = r"""
- name: Read the sockets and backends of the live configuration
  preflight.nginx.config_info:
  register: nginx_facts

- name: The same, from what nginx itself reads (nginx -T)
  preflight.nginx.config_info:
    source: nginx_dump
  become: true

- name: List every backend address
  ansible.builtin.debug:
    msg: "{{ nginx_facts.upstreams | map(attribute='servers') | flatten | map(attribute='display') | list }}"
"""

RETURN = r"""
main_file:
  description: The main configuration file.
  returned: always
  type: str
  sample: /etc/nginx/nginx.conf
files:
  description: Every configuration file read.
  returned: always
  type: list
  elements: str
listen:
  description: Listen sockets, one per C(listen) (and the implicit C(*:80) of a server without one).
  returned: always
  type: list
  elements: dict
  sample:
    - {"display": "127.0.0.1:8080", "socket": "127.0.0.1:8080", "ssl": false, "default_server": true,
       "server_names": ["shop.example.com"], "file": "/etc/nginx/conf.d/shop.conf", "line": 2,
       "protocol": "http", "kind": "ipv4", "address": "127.0.0.1", "port": 8080}
upstreams:
  description: Upstream blocks and their servers.
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "storefront", "protocol": "http", "file": "/etc/nginx/conf.d/shop.conf", "line": 5,
       "servers": [{"display": "127.0.0.1:8081", "parameters": ["max_fails=3"], "line": 6}]}
pass_targets:
  description: Every C(proxy_pass), C(fastcgi_pass), C(uwsgi_pass), C(scgi_pass), C(grpc_pass) and C(memcached_pass).
  returned: always
  type: list
  elements: dict
  sample:
    - {"directive": "proxy_pass", "value": "http://storefront", "upstream": "storefront",
       "context": "http > server(shop.example.com) > location /", "line": 12}
resolvers:
  description: Addresses of C(resolver) directives.
  returned: always
  type: list
  elements: dict
load_problems:
  description: Problems met while loading (missing includes, syntax errors), with file and line.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.preflight.nginx.plugins.module_utils import facts, module_options, nginx_config
from ansible_collections.preflight.nginx.plugins.module_utils.model import Model


def main():
    module = AnsibleModule(
        argument_spec=module_options.SOURCE_SPEC,
        mutually_exclusive=module_options.SOURCE_EXCLUSIVE,
        supports_check_mode=True,
    )
    if not nginx_config.HAS_CROSSPLANE:
        module.fail_json(msg=missing_required_lib("crossplane"), exception=nginx_config.CROSSPLANE_IMPORT_ERROR)
    try:
        config = module_options.source_from(module.params).load()
    except nginx_config.ConfigLoadError as exc:
        module.fail_json(msg="path: %s" % exc)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    result = facts.model_facts(Model(config))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
