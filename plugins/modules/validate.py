#!/usr/bin/python
# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: validate
short_description: Check an nginx configuration tree for bad addresses and settings nginx -t lets through
version_added: "0.1.0"
description:
  - Loads the nginx configuration whose main file is O(path), following every C(include) the way nginx
    does, and runs the preflight.nginx rules on the whole tree.
  - Reports every problem at once, each with its rule, severity, file, line, context and a fix hint, for
    example an upstream C(server 0:80;) that C(nginx -t) accepts but no client can connect to.
  - Optionally runs C(nginx -t) on the same file and merges its messages as findings.
  - Fails when a finding is at least as severe as O(fail_on).
  - The rule reference is in the collection's C(docs/rules/) folder.
options:
  nginx_version:
    description:
      - The nginx version that runs the configuration (C(1.22.1)), for advice that depends on it.
      - Defaults to what C(nginx -v) says on the host; unknown when nginx is not installed.
    type: str
  resolve_hosts:
    description:
      - Look up host names that a C(*_pass) uses as implicit upstreams; one that does not resolve on the host
        is an error (nginx would refuse to start).
    type: bool
    default: true
  fail_on:
    description:
      - Lowest severity that makes the task fail. V(never) only reports.
    type: str
    choices: [error, warning, info, never]
    default: error
  rules:
    description:
      - Rule ids to skip, for example V(unused-upstream).
    type: list
    elements: str
    default: []
  nginx_test:
    description:
      - Also run C(nginx -t -c path) and merge its messages as findings of rule C(nginx-test).
      - When not set, it runs if the nginx binary is installed.
    type: bool
  facts:
    description:
      - Also return the configuration's facts (sockets, upstreams, targets), as M(preflight.nginx.config_info)
        does, from the same reading of the files.
    type: bool
    default: false
  probe_backends:
    description:
      - Also connect to every literal backend from the host, as M(preflight.nginx.probe_backends) does.
      - V(warning) reports unreachable backends as warnings, V(error) as errors (which fail the task with
        O(fail_on=error)); V(none) does not probe.
    type: str
    choices: [none, warning, error]
    default: none
  probe_timeout:
    description: Seconds to wait for each backend connection.
    type: float
    default: 1
requirements:
  - crossplane (Python library) on the controller; the action plugin ships it to the target for each run
attributes:
  check_mode:
    support: full
    description: The module only reads; it runs the same way in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
notes:
  - "Inline suppression in the configuration, on the line or the line above:
    C(# preflight: ignore[rule-id] reason)."
seealso:
  - module: preflight.nginx.config_info
  - module: preflight.nginx.http_check
extends_documentation_fragment:
  - preflight.nginx.config_source
author:
  - preflight.nginx contributors (@preflight-nginx)
"""

EXAMPLES = r"""
- name: Check the live nginx configuration
  preflight.nginx.validate:

- name: Check a staged tree, failing on warnings too, without the informational rules
  preflight.nginx.validate:
    path: /srv/staging/nginx/nginx.conf
    prefix: /srv/staging/nginx
    fail_on: warning
    rules:
      - unused-upstream
      - listen-http2-deprecated

- name: Check a site file on its own (no http block in it), as ansible.builtin.template's validate would
  preflight.nginx.validate:
    path: /etc/nginx/sites-available/shop

- name: Check a staged copy of /etc/nginx whose includes are absolute
  preflight.nginx.validate:
    path: /srv/stage/etc/nginx/nginx.conf
    root: /srv/stage

- name: Check what nginx itself reads, where the files are not readable otherwise
  preflight.nginx.validate:
    source: nginx_dump
  become: true

- name: Check a Docker template with the environment it will get
  preflight.nginx.validate:
    path: /srv/shop/templates/default.conf.template
    template_env_files: [/srv/shop/.env]
    template_variables:
      BACKEND_HOST: "{{ shop_backend_host }}"

- name: Report only, and show what was found
  preflight.nginx.validate:
    fail_on: never
  register: nginx_check

- name: Show the findings
  ansible.builtin.debug:
    msg: "{{ item.file }}:{{ item.line }} {{ item.rule }} {{ item.message }}"
  loop: "{{ nginx_check.findings }}"
"""

RETURN = r"""
findings:
  description: Every problem found, errors first within each file, in file and line order.
  returned: always
  type: list
  elements: dict
  contains:
    rule:
      description: The rule id, for example C(unspecified-connect-address).
      type: str
      sample: unspecified-connect-address
    severity:
      description: C(error), C(warning) or C(info).
      type: str
      sample: error
    message:
      description: What is wrong, in nginx's terms.
      type: str
      sample: 'upstream server: "0" is the unspecified address (0.0.0.0); ...'
    file:
      description: The file the directive is in.
      type: str
      sample: /etc/nginx/conf.d/shop.conf
    line:
      description: The line of the directive.
      type: int
      sample: 3
    directive:
      description: The directive as written.
      type: str
      sample: server 0:80
    context:
      description: The blocks around the directive.
      type: str
      sample: http > upstream storefront
    hint:
      description: How to fix it.
      type: str
      sample: connect to the backend's real address, or 127.0.0.1 for this host
counts:
  description: Number of findings by severity.
  returned: always
  type: dict
  sample: {"error": 1, "warning": 0, "info": 0}
suppressed:
  description: "Findings silenced by C(# preflight: ignore[...]) comments."
  returned: always
  type: list
  elements: dict
files:
  description: Every configuration file read.
  returned: always
  type: list
  elements: str
  sample: ["/etc/nginx/nginx.conf", "/etc/nginx/conf.d/shop.conf"]
config_facts:
  description: The configuration's facts, as M(preflight.nginx.config_info) returns them.
  returned: when O(facts) is true
  type: dict
probes:
  description: One entry per backend probed, as M(preflight.nginx.probe_backends) returns them.
  returned: when O(probe_backends) is not V(none)
  type: list
  elements: dict
notes:
  description:
    - What the loader decided by itself, said once; for example that a copy of C(/etc/nginx) checked without
      O(root) was read under its own root (as O(root) would), not from the host's files.
  returned: always
  type: list
  elements: dict
nginx_test:
  description: The result of C(nginx -t), when it ran.
  returned: always
  type: dict
  contains:
    ran:
      description: Whether nginx -t ran.
      type: bool
    rc:
      description: Its exit code.
      type: int
    output:
      description: What it printed.
      type: str
  sample: {"ran": true, "rc": 0, "ok": true, "output": ""}
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.preflight.nginx.plugins.module_utils import engine, facts, module_options, nginx_config
from ansible_collections.preflight.nginx.plugins.module_utils.host import backends


def summary(path, failing, fail_on):
    lines = ["nginx configuration %s has %d finding%s at or above %s:" % (
        path, len(failing), "" if len(failing) == 1 else "s", fail_on)]
    lines.extend(finding.one_line(hint=True) for finding in failing)
    return "\n".join(lines)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            module_options.SOURCE_SPEC,
            nginx_version=dict(type="str"),
            resolve_hosts=dict(type="bool", default=True),
            fail_on=dict(type="str", default="error", choices=["error", "warning", "info", "never"]),
            rules=dict(type="list", elements="str", default=[]),
            nginx_test=dict(type="bool"),
            facts=dict(type="bool", default=False),
            probe_backends=dict(type="str", default="none", choices=["none", "warning", "error"]),
            probe_timeout=dict(type="float", default=1),
        ),
        mutually_exclusive=module_options.SOURCE_EXCLUSIVE,
        supports_check_mode=True,
    )
    if not nginx_config.HAS_CROSSPLANE:
        module.fail_json(msg=missing_required_lib("crossplane"), exception=nginx_config.CROSSPLANE_IMPORT_ERROR)
    params = module.params
    try:
        source = module_options.source_from(params)
        nginx_test = params["nginx_test"]
        refusal = source.nginx_test_refusal()
        if nginx_test and refusal:
            raise module_options.OptionError("nginx_test", refusal)
        if nginx_test is None:  # by default, whenever it can run
            nginx_test = not refusal and engine.find_nginx(params["nginx_binary"]) is not None
        elif nginx_test and engine.find_nginx(params["nginx_binary"]) is None:
            raise module_options.OptionError("nginx_test", "nginx binary %r not found" % params["nginx_binary"])
        options = module_options.options_from(params, resolve_hosts=params["resolve_hosts"], nginx_test=nginx_test)
        report = engine.check(source, options)
    except engine.ConfigLoadError as exc:
        module.fail_json(msg="path: %s" % exc)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if params["probe_backends"] != "none":
        probes = backends.probe_into(report, params["probe_backends"], params["probe_timeout"])
    result = report.as_dict()
    for note in result["notes"]:
        module.warn("%s:%s: %s" % (note["file"], note["line"] or "-", note["message"]))
    result["changed"] = False
    if result["nginx_test"] is None:
        result["nginx_test"] = {"ran": False}
    if params["facts"]:
        result["config_facts"] = facts.model_facts(report.model)
    if params["probe_backends"] != "none":
        result["probes"] = probes
    failing = report.failing(params["fail_on"]) if params["fail_on"] != "never" else []
    if failing:
        module.fail_json(msg=summary(params["path"], failing, params["fail_on"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
