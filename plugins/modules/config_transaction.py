#!/usr/bin/python
# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: config_transaction
short_description: Snapshot configuration files before a change and restore them byte for byte
version_added: "0.1.0"
description:
  - V(begin) copies every file in O(files) into a new snapshot in O(backup_dir), with owner, group and
    mode, and notes the ones that do not exist yet; the snapshot stays open until V(commit) or V(rollback).
  - V(rollback) puts every file back exactly as it was (and removes the ones that did not exist).
  - V(commit) closes the snapshot and keeps the newest O(keep).
  - V(recover) rolls back a snapshot left open by a run that died half-way, and does nothing otherwise.
  - Used by the P(preflight.nginx.gate#role) role; usable on its own for any set of files.
options:
  state:
    description: What to do.
    type: str
    choices: [begin, rollback, commit, recover]
    required: true
  backup_dir:
    description: Where snapshots are kept (created, mode 0700).
    type: path
    required: true
  files:
    description: The files about to change (for V(begin)).
    type: list
    elements: path
    default: []
  keep:
    description: How many committed snapshots to keep (for V(commit)).
    type: int
    default: 5
  label:
    description: A note stored with the snapshot, for example what is being deployed.
    type: str
    default: ""
attributes:
  check_mode:
    support: full
    description: In check mode nothing is written; the result says what would happen.
  diff_mode:
    support: none
    description: The files themselves are written by other tasks.
author:
  - preflight.nginx contributors (@preflight-nginx)
"""

EXAMPLES = r"""
- name: Recover from a run that died half-way
  preflight.nginx.config_transaction:
    state: recover
    backup_dir: /var/backups/preflight-nginx

- name: Snapshot the files about to change
  preflight.nginx.config_transaction:
    state: begin
    backup_dir: /var/backups/preflight-nginx
    files: [/etc/nginx/conf.d/shop.conf]
"""

RETURN = r"""
snapshot:
  description: The snapshot's folder name.
  returned: when a snapshot was opened or closed
  type: str
  sample: txn-20261122T101500.123456
files:
  description: For V(begin), each file with whether it existed, its mode, owner and checksum.
  returned: state is begin
  type: list
  elements: dict
restored:
  description: Files put back or removed by V(rollback) or V(recover).
  returned: state is rollback or recover
  type: list
  elements: str
recovered:
  description: Whether V(recover) found an unfinished transaction and rolled it back.
  returned: state is recover
  type: bool
pruned:
  description: Snapshots removed by V(commit).
  returned: state is commit
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.preflight.nginx.plugins.module_utils.host import transaction


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", required=True, choices=["begin", "rollback", "commit", "recover"]),
            backup_dir=dict(type="path", required=True),
            files=dict(type="list", elements="path", default=[]),
            keep=dict(type="int", default=5),
            label=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    params = module.params
    backup_dir = params["backup_dir"]
    if params["keep"] < 1:
        module.fail_json(msg="keep: must be 1 or more, got %d" % params["keep"])
    try:
        open_snapshot = transaction.active(backup_dir)
        if module.check_mode:
            module.exit_json(changed=params["state"] != "recover" or open_snapshot is not None,
                             recovered=open_snapshot is not None and params["state"] == "recover",
                             snapshot=os.path.basename(open_snapshot) if open_snapshot else None)
        if params["state"] == "begin":
            journal = transaction.begin(backup_dir, params["files"], params["label"])
            module.exit_json(changed=True, snapshot=journal["name"], files=journal["files"])
        if params["state"] in ("rollback", "recover"):
            restored = transaction.rollback(backup_dir)
            recovered = open_snapshot is not None
            if recovered and params["state"] == "recover":
                module.warn("restored the files of unfinished transaction %s: %s"
                            % (os.path.basename(open_snapshot), ", ".join(restored) or "all were intact"))
            module.exit_json(changed=bool(restored) or recovered, restored=restored, recovered=recovered,
                             snapshot=os.path.basename(open_snapshot) if open_snapshot else None)
        pruned = transaction.commit(backup_dir, params["keep"])
        module.exit_json(changed=open_snapshot is not None or bool(pruned), pruned=pruned,
                         snapshot=os.path.basename(open_snapshot) if open_snapshot else None)
    except (transaction.TransactionError, OSError) as exc:
        module.fail_json(msg="%s (backup_dir: %s)" % (exc, backup_dir))


if __name__ == "__main__":
    main()
