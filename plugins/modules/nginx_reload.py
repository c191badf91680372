#!/usr/bin/python
# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nginx_reload
short_description: Reload nginx and wait until the new configuration really runs
version_added: "0.1.0"
description:
  - Reloads a running nginx, through systemd or with the reload signal (as C(nginx -s reload) sends it),
    and waits until the master process has started new workers.
  - nginx acknowledges a reload at once even when it cannot apply the new configuration (for example a
    port already in use); the master then keeps its old workers. This module reports that as a failure
    instead of a success.
options:
  method:
    description:
      - V(signal) sends the reload signal to the master found through its pid file (an instance with its
        own prefix and pid file). V(systemd) runs C(systemctl reload) on O(service).
    type: str
    choices: [signal, systemd]
    default: signal
  config:
    description: The main configuration file, used to find the pid file.
    type: path
    default: /etc/nginx/nginx.conf
  prefix:
    description: nginx's prefix (C(-p)), for a relative C(pid) path.
    type: path
  pid_file:
    description: The master's pid file. By default the C(pid) directive of O(config), else nginx's compiled-in path.
    type: path
  nginx_binary:
    description: The nginx binary (to find the compiled-in pid path).
    type: str
    default: nginx
  service:
    description: The systemd unit, for O(method=systemd).
    type: str
    default: nginx
  timeout:
    description: Seconds to wait for the new workers.
    type: float
    default: 10
attributes:
  check_mode:
    support: full
    description: In check mode nothing is reloaded; the result says whether nginx is running.
  diff_mode:
    support: none
    description: Nothing is changed on disk.
author:
  - preflight.nginx contributors (@preflight-nginx)
"""

EXAMPLES = r"""
- name: Reload the system nginx
  preflight.nginx.nginx_reload:
    method: systemd

- name: Reload an instance with its own prefix
  preflight.nginx.nginx_reload:
    config: /srv/edge/nginx.conf
    prefix: /srv/edge
"""

RETURN = r"""
master_pid:
  description: The master process.
  returned: when nginx is running
  type: int
  sample: 4242
old_workers:
  description: Worker processes before the reload.
  returned: when nginx is running
  type: list
  elements: int
new_workers:
  description: Worker processes started by the reload.
  returned: success
  type: list
  elements: int
elapsed:
  description: Seconds from the reload to the first new worker.
  returned: success
  type: float
  sample: 0.06
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.preflight.nginx.plugins.module_utils.host import nginx_process


def main():
    module = AnsibleModule(
        argument_spec=dict(
            method=dict(type="str", default="signal", choices=["signal", "systemd"]),
            config=dict(type="path", default="/etc/nginx/nginx.conf"),
            prefix=dict(type="path"),
            pid_file=dict(type="path"),
            nginx_binary=dict(type="str", default="nginx"),
            service=dict(type="str", default="nginx"),
            timeout=dict(type="float", default=10),
        ),
        supports_check_mode=True,
    )
    params = module.params
    binary = module.get_bin_path(params["nginx_binary"], opt_dirs=["/usr/sbin", "/usr/local/sbin"]) \
        or params["nginx_binary"]
    master, pid_file = nginx_process.find_master(params["config"], params["prefix"], params["pid_file"], binary)
    if master is None:
        module.fail_json(msg=nginx_process.not_running(pid_file), pid_file=pid_file)
    if module.check_mode:
        module.exit_json(changed=True, master_pid=master, old_workers=sorted(nginx_process.children(master)),
                         pid_file=pid_file)
    started = time.monotonic()
    try:
        old, new = nginx_process.reload(master, params["method"], params["service"], params["timeout"],
                                        module.run_command)
    except nginx_process.ReloadError as exc:
        module.fail_json(msg=str(exc), master_pid=master, pid_file=pid_file)
    module.exit_json(changed=True, master_pid=master, old_workers=old, new_workers=new,
                     elapsed=round(time.monotonic() - started, 3), pid_file=pid_file)


if __name__ == "__main__":
    main()
