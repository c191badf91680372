#!/usr/bin/python
# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: probe_backends
short_description: Connect to every backend an nginx configuration names, from the host itself
version_added: "0.1.0"
description:
  - Loads the configuration like M(preflight.nginx.validate) and opens a TCP (or unix socket) connection to
    every literal upstream server and C(*_pass) target, once each, with a short timeout.
  - A backend that refuses or does not answer becomes a finding with the file and line that names it,
    before nginx is reloaded onto it. Servers marked C(backup) or C(down) and targets with variables are
    not probed.
options:
  timeout:
    description: Seconds to wait for each connection.
    type: float
    default: 1
  severity:
    description: How an unreachable backend counts; V(error) fails the task.
    type: str
    choices: [warning, error]
    default: warning
requirements:
  - crossplane (Python library) on the controller; the action plugin ships it to the target for each run
attributes:
  check_mode:
    support: full
    description: Probing changes nothing; it runs in check mode too.
  diff_mode:
    support: none
    description: Nothing is changed.
extends_documentation_fragment:
  - preflight.nginx.config_source
author:
  - preflight.nginx contributors (@preflight-nginx)
"""

EXAMPLES = r"""
- name: Fail when a backend of the new configuration is down
  preflight.nginx.probe_backends:
    path: /etc/nginx/nginx.conf
    severity: error
"""

RETURN = r"""
probes:
  description: One entry per backend address and the place that names it.
  returned: always
  type: list
  elements: dict
  sample:
    - {"target": "127.0.0.1:8081", "what": "upstream storefront", "file": "/etc/nginx/conf.d/shop.conf",
       "line": 3, "ok": false, "error": "connection refused to 127.0.0.1:8081"}
findings:
  description: The unreachable ones, in the form of M(preflight.nginx.validate) findings (rule C(backend-unreachable)).
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.preflight.nginx.plugins.module_utils import module_options, nginx_config
from ansible_collections.preflight.nginx.plugins.module_utils.findings import one_line
from ansible_collections.preflight.nginx.plugins.module_utils.host import backends


def main():
    module = AnsibleModule(
        argument_spec=dict(
            module_options.SOURCE_SPEC,
            timeout=dict(type="float", default=1),
            severity=dict(type="str", default="warning", choices=["warning", "error"]),
        ),
        mutually_exclusive=module_options.SOURCE_EXCLUSIVE,
        supports_check_mode=True,
    )
    if not nginx_config.HAS_CROSSPLANE:
        module.fail_json(msg=missing_required_lib("crossplane"), exception=nginx_config.CROSSPLANE_IMPORT_ERROR)
    params = module.params
    try:
        config = module_options.source_from(params).load()
    except nginx_config.ConfigLoadError as exc:
        module.fail_json(msg="path: %s" % exc)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    probes = backends.probe(config, params["timeout"])
    findings = [f.as_dict() for f in backends.probe_findings(probes, params["severity"])]
    for finding in findings:
        if params["severity"] == "warning":
            module.warn(one_line(finding))
    if findings and params["severity"] == "error":
        module.fail_json(msg="unreachable backends:\n" + "\n".join(one_line(f) for f in findings), probes=probes,
                         findings=findings)
    module.exit_json(changed=False, probes=probes, findings=findings)


if __name__ == "__main__":
    main()
