#!/usr/bin/python
# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: endpoint_audit
short_description: Review every curl command and endpoint variable a host runs by itself
version_added: "0.1.0"
description:
  - Reads the places where a host keeps commands that run without anyone watching - C(/etc/crontab),
    C(/etc/cron.d/*), user crontabs in C(/var/spool/cron), the periodic cron scripts, systemd units and
    drop-ins in C(/etc/systemd/system) (with their C(EnvironmentFile=) files), C(/etc/default/*),
    C(/etc/environment), C(/etc/profile.d/*) - and any O(paths) given (files or folders; shell scripts,
    Dockerfiles, Compose files, Kubernetes manifests, CI files, Makefiles, C(.env) files).
  - Every curl, wget, httpie, ab, wrk, nc or telnet target is judged as an address a client connects to, so
    C(curl http://0:80/health) in a cron job, or C(Environment=BACKEND=0:80) used by C(ExecStart=curl $BACKEND),
    is an error at its file and line. Variables are followed to their value in the same file, the unit's
    C(Environment=) and C(EnvironmentFile=), or O(env); a value nobody can know on the host is not judged.
  - Where a server binds is not a problem - C(--host 0.0.0.0), C(-b 0.0.0.0:8000), C(HOST=0.0.0.0),
    C(ListenStream=), Compose C(ports). Values of credential and header options are never judged or returned.
  - Files that cannot be read (permissions, binary, larger than 2 MB, malformed units or YAML) are named in
    RV(errors) and the review goes on.
  - The same engine as C(nginx-preflight endpoints). The target needs only Python; YAML files given in
    O(paths) need PyYAML there (Debian's python3-yaml).
options:
  root:
    description:
      - Read the host's places and O(paths) under this directory, as if it were C(/) (a mounted image or
        a copy of a host's C(/etc)). Findings name the files as the host sees them.
    type: path
    default: /
  host:
    description: Review the host's own places (cron, systemd, C(/etc/default), profile.d). V(false) reviews
      only O(paths).
    type: bool
    default: true
  paths:
    description: More files or folders to review (absolute, read under O(root)).
    type: list
    elements: path
    default: []
  env:
    description: Variables the files use whose values are known from elsewhere (name to value).
    type: dict
    default: {}
  fail_on:
    description: The lowest severity of a finding that fails the task; V(never) only reports.
    type: str
    choices: [error, warning, info, never]
    default: error
  fail_on_unreadable:
    description: Also fail when a file cannot be read (otherwise it is a warning and listed in RV(errors)).
    type: bool
    default: false
  explain:
    description: Also return, in RV(notes), the values that were not judged and why.
    type: bool
    default: false
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
- name: No cron job, unit or script on the web hosts connects to 0:80
  preflight.nginx.endpoint_audit:
  become: true

- name: The app's own scripts and Compose file too, with the variable the deploy sets
  preflight.nginx.endpoint_audit:
    paths:
      - /srv/shop/bin
      - /srv/shop/compose.yaml
    env:
      BACKEND_URL: "{{ shop_backend_url }}"
  become: true

- name: Review a mounted image without failing the play
  preflight.nginx.endpoint_audit:
    root: /mnt/image
    fail_on: never
  register: audit
"""

RETURN = r"""
findings:
  description: One entry per problem, sorted by file and line. C(rule) is the problem
    (C(unspecified-connect-address), C(invalid-port), C(malformed-address), ...), as for nginx configs.
  returned: always
  type: list
  elements: dict
  sample:
    - {"rule": "unspecified-connect-address", "severity": "error", "file": "/etc/cron.d/health", "line": 2,
       "message": "cron job: curl http://0:80/health: \"0\" is the unspecified address (0.0.0.0); ...",
       "hint": "connect to the backend's real address, or 127.0.0.1 for this host"}
counts:
  description: Number of findings per severity.
  returned: always
  type: dict
  sample: {"error": 1, "warning": 0, "info": 0}
files:
  description: The files read, each with the kind of file its reader took it for.
  returned: always
  type: list
  elements: dict
  sample: [{"file": "/etc/cron.d/health", "kind": "crontab"}]
errors:
  description: Files that could not be read, and why; the others were still reviewed.
  returned: always
  type: list
  elements: dict
  sample: [{"file": "/etc/default/blob", "message": "binary file (it holds NUL bytes), not read"}]
skipped:
  description: Files given in O(paths) that no reader knows.
  returned: always
  type: list
  elements: dict
suppressed:
  description: "Findings silenced by a C(# preflight: ignore[rule] reason) comment on their line or the line above."
  returned: always
  type: list
  elements: dict
notes:
  description: Values not judged (a variable nobody can know on the host), with the reason.
  returned: when O(explain=true)
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.preflight.nginx.plugins.module_utils import endpoint_scan
from ansible_collections.preflight.nginx.plugins.module_utils.findings import at_least


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path", default="/"),
            host=dict(type="bool", default=True),
            paths=dict(type="list", elements="path", default=[]),
            env=dict(type="dict", default={}),
            fail_on=dict(type="str", default="error", choices=["error", "warning", "info", "never"]),
            fail_on_unreadable=dict(type="bool", default=False),
            explain=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    root = params["root"].rstrip("/") or "/"
    for path in params["paths"]:
        if not path.startswith("/"):
            module.fail_json(msg="paths: %r is not absolute (paths are read under root, as the host sees them)"
                             % path)
    places = endpoint_scan.host_paths(root) if params["host"] else []
    env = {str(key): "" if value is None else str(value) for key, value in params["env"].items()}
    result = endpoint_scan.scan(places + params["paths"], root=None if root == "/" else root, env=env,
                                explain=params["explain"])
    data = result.as_dict()
    returned = dict(changed=False, findings=data["findings"], counts=data["counts"], files=data["files"],
                    errors=data["errors"], skipped=data["skipped"], suppressed=data["suppressed"])
    if params["explain"]:
        returned["notes"] = data["notes"]
    for error in result.errors:
        if not params["fail_on_unreadable"]:
            module.warn("not reviewed: %s: %s" % (error["file"], error["message"]))
    failing = [] if params["fail_on"] == "never" else [
        f for f in result.findings if at_least(f.severity, params["fail_on"])]
    lines = [f.one_line() for f in failing]
    if params["fail_on_unreadable"]:
        lines += ["cannot review %s: %s" % (e["file"], e["message"]) for e in result.errors]
    if lines:
        module.fail_json(msg="endpoints no client can connect to:\n" + "\n".join(lines), **returned)
    module.exit_json(**returned)


if __name__ == "__main__":
    main()
