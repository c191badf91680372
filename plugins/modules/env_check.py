#!/usr/bin/python
# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: env_check
short_description: Check the endpoint variables of env files and dicts before a deploy
version_added: "0.1.0"
description:
  - Reads env files on the target (systemd C(EnvironmentFile=), Docker C(.env), C(/etc/default/*)
    syntax, with comments, C(export), quotes and escaped newlines) and/or a dict of variables.
  - Picks the keys that name endpoints (O(pattern), or the explicit O(keys)) and judges each value with
    the same engine as M(preflight.nginx.validate), for example C(BACKEND_URL=http://0:8080) is the
    unspecified address. Keys ending in C(PORT) must be a port (C(0) and C(-1) mean off).
  - Values are judged, not their absence; an empty value is a problem only for the explicit O(keys). Values
    that are plainly no network address are not judged either (paths, regexes, serial devices, MAC and
    interface addresses, URIs naming no network host such as C(unix:///run/docker.sock)).
  - What is wrong depends on what a value is for. C(*_URL), C(*_ENDPOINT), C(*_UPSTREAM), C(BACKEND*) and
    URL values are addresses a client connects to; C(LISTEN)/C(BIND) names, C(*_URLS) and C(HOST),
    C(*_HOST), C(*_ADDR), C(*_SERVER) names are where a server binds, so C(0.0.0.0), C(::) and C(:9000)
    are right there and only bad ports or malformed addresses count. A host name of a service clients use
    (C(DB_HOST), C(REDIS_HOST)) at C(0.0.0.0) is a warning, not a failure.
  - A malformed env file fails with its file and line.
options:
  paths:
    description: Env files on the target.
    type: list
    elements: path
    default: []
  variables:
    description: Variables to check as well, name to value.
    type: dict
    default: {}
  pattern:
    description: Regular expression that selects endpoint keys (searched, case-insensitive by default).
    type: str
    default: (?i)(^|_)(URL|URI|HOST|HOSTNAME|ADDR|ADDRESS|ENDPOINT|UPSTREAM|BACKEND|SERVER|PORT|DSN)$
  keys:
    description: Check exactly these keys instead of those matching O(pattern).
    type: list
    elements: str
    default: []
  templates:
    description:
      - Docker-style nginx templates (C(/etc/nginx/templates/*.template)) to render with every variable of
        O(paths) and O(variables), as the official image's envsubst does, and check with the preflight.nginx
        rules. Findings stay at the template's lines and name the variable
        (C(BACKEND_HOST=0 makes "proxy_pass http://0:8080;")).
      - Needs the Python library crossplane where the module runs.
    type: list
    elements: path
    default: []
  fail_on:
    description: V(error) fails when any checked value has a problem, or a template has an error finding;
      V(never) only reports.
    type: str
    choices: [error, never]
    default: error
attributes:
  check_mode:
    support: full
    description: The module only reads.
  diff_mode:
    support: none
    description: Nothing is changed.
author:
  - preflight.nginx contributors (@preflight-nginx)
"""

EXAMPLES = r"""
- name: The service's environment points at real backends
  preflight.nginx.env_check:
    paths:
      - /etc/default/shop
      - /srv/shop/.env

- name: Check inventory values before they are templated anywhere
  preflight.nginx.env_check:
    variables:
      PAYMENT_URL: "{{ payment_url }}"
      CACHE_HOST: "{{ cache_host }}"
"""

RETURN = r"""
template_findings:
  description: Findings of the rules on each rendered template (see M(preflight.nginx.validate)).
  returned: when O(templates) is given
  type: list
  elements: dict
  sample: [{"rule": "unspecified-connect-address", "file": "/srv/app/default.conf.template", "line": 6,
            "severity": "error", "message": 'BACKEND_HOST=0 makes "proxy_pass http://0:8080;": ...'}]
results:
  description: One entry per endpoint key, with where it was found and its problems.
  returned: always
  type: list
  elements: dict
  sample:
    - {"key": "BACKEND_URL", "value": "http://0:8080", "file": "/etc/default/shop", "line": 3,
       "problems": [{"code": "unspecified-connect-address", "message": "...", "hint": "..."}]}
problems:
  description: The results that have problems.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.preflight.nginx.plugins.module_utils import env_endpoints
from ansible_collections.preflight.nginx.plugins.module_utils.findings import one_line


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type="list", elements="path", default=[]),
            variables=dict(type="dict", default={}),
            pattern=dict(type="str", default=env_endpoints.DEFAULT_PATTERN),
            keys=dict(type="list", elements="str", default=[], no_log=False),
            templates=dict(type="list", elements="path", default=[]),
            fail_on=dict(type="str", default="error", choices=["error", "never"]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    items = []
    for path in params["paths"]:
        try:
            items.extend((key, value, path, line) for key, value, line in env_endpoints.read_env_file(path))
        except env_endpoints.EnvFileError as exc:
            what = "paths: cannot read env file" if exc.line == 0 else "malformed env file"
            module.fail_json(msg="%s %s" % (what, exc), file=exc.path, line=exc.line)
    items.extend((key, value, None, None) for key, value in params["variables"].items())
    try:
        results = env_endpoints.check_variables(items, params["pattern"], params["keys"])
    except Exception as exc:  # re.error from a bad pattern
        module.fail_json(msg="pattern: %s" % exc)
    problems = [r for r in results if r["problems"]]
    extra = {}

    def described(result, severity):
        where = "%s:%s: " % (result["file"], result["line"]) if result["file"] else ""
        return [where + p["message"] + (" (%s)" % p["hint"] if p["hint"] else "")
                for p in result["problems"] if p["severity"] == severity]

    lines = [line for r in problems for line in described(r, "error")]
    for line in (line for r in problems for line in described(r, "warning")):
        module.warn(line)
    if params["templates"]:
        extra["template_findings"] = findings = _check_templates(module, params["templates"], items)
        lines += [one_line(f) for f in findings if f["severity"] == "error"]
    if lines and params["fail_on"] == "error":
        module.fail_json(msg="bad endpoint variables:\n" + "\n".join(lines), results=results, problems=problems,
                         **extra)
    module.exit_json(changed=False, results=results, problems=problems, **extra)


def _check_templates(module, templates, items):
    from ansible_collections.preflight.nginx.plugins.module_utils import engine, nginx_config
    from ansible_collections.preflight.nginx.plugins.module_utils.source import Source

    if not nginx_config.HAS_CROSSPLANE:
        module.fail_json(msg=missing_required_lib("crossplane"), exception=nginx_config.CROSSPLANE_IMPORT_ERROR)
    variables = {key: str(value) for key, value, _file, _line in items}
    findings = []
    for template in templates:
        try:
            findings.extend(f.as_dict() for f in engine.check(Source.template(template, variables)).findings)
        except engine.ConfigLoadError as exc:
            module.fail_json(msg="templates: %s" % exc)
    return findings


if __name__ == "__main__":
    main()
