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
options:
  path:
    description:
      - The main configuration file.
    type: path
    default: /etc/nginx/nginx.conf
  prefix:
    description:
      - Directory that relative C(include) paths start at. Defaults to the directory of O(path).
    type: path
  context:
    description:
      - Where the top level of O(path) stands (see M(preflight.nginx.validate)); V(auto) guesses.
    type: str
    choices: [auto, main, http, stream, server, location]
    default: auto
  root:
    description:
      - A directory that stands for C(/), for a staged copy; absolute includes and links are read under it.
    type: path
  source:
    description:
      - V(files) reads the files; V(nginx_dump) reads what C(nginx -T -c path) prints, for hosts where the
        files cannot be read otherwise.
    type: str
    choices: [files, nginx_dump]
    default: files
  nginx_binary:
    description: The nginx binary for O(source=nginx_dump).
    type: str
    default: nginx
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

from ansible_collections.preflight.nginx.plugins.module_utils import engine, facts, nginx_config
from ansible_collections.preflight.nginx.plugins.module_utils.model import Model


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/nginx/nginx.conf"),
            prefix=dict(type="path"),
            context=dict(type="str", default="auto", choices=["auto", "main", "http", "stream", "server", "location"]),
            root=dict(type="path"),
            source=dict(type="str", default="files", choices=["files", "nginx_dump"]),
            nginx_binary=dict(type="str", default="nginx"),
        ),
        mutually_exclusive=[("root", "source")],
        supports_check_mode=True,
    )
    if not nginx_config.HAS_CROSSPLANE:
        module.fail_json(msg=missing_required_lib("crossplane"), exception=nginx_config.CROSSPLANE_IMPORT_ERROR)
    params = module.params
    try:
        if params["source"] == "nginx_dump":
            config = nginx_config.load_dump(engine.nginx_dump(params["path"], params["nginx_binary"]))
        else:
            config = nginx_config.load(params["path"], prefix=params["prefix"], root=params["root"],
                                       context=params["context"])
    except nginx_config.ConfigLoadError as exc:
        module.fail_json(msg="path: %s" % exc)
    result = facts.model_facts(Model(config))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
