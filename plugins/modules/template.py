#!/usr/bin/python
# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented entirely by its action plugin, on the controller (plugins/action/template.py).

from __future__ import annotations

DOCUMENTATION = r"""
---
module: template
short_description: Template an nginx file out to a target, refused on the controller when the checks fail
version_added: "0.2.0"
description:
  # Ansible sorts these lines together with those of the template_common fragment: one paragraph, sorted first.
  - "A version of M(ansible.builtin.template) that checks the rendered file on the controller before it is copied.
    It renders O(src) exactly as M(ansible.builtin.template) does (it runs that action), checks the rendered file
    with the preflight.nginx rules, and only then copies it to O(dest). A file with findings at or above O(fail_on)
    is never copied and the target is not even contacted: the task fails with each finding as C(dest:line:
    severity[rule-id] message), the template line it came from where that is clear, and the findings as data. The
    file is checked on its own (its context guessed from what it holds, or O(context)), or, with O(config) or
    O(root), inside a controller-side copy of the target's configuration, placed at O(dest), so that an upstream
    defined in another file is known and a listen another file also has is seen. Nothing needs to be installed on
    the target (no crossplane, no C(nginx-preflight)); the copy runs as M(ansible.builtin.copy), so check mode, diff
    mode, O(validate), O(backup) and the file attributes work as with M(ansible.builtin.template)."
options:
  follow:
    description:
      - Determine whether symbolic links should be followed, as for M(ansible.builtin.template).
    type: bool
    default: false
  context:
    description:
      - Where the top level of the rendered file stands when it is checked on its own. V(main) is a whole
        C(nginx.conf); V(http), V(stream), V(server) and V(location) are files included in such a block.
      - V(auto) guesses from what the file holds (C(server) and C(upstream) blocks mean V(http)).
      - With O(config) or O(root), the tree decides where O(dest) stands; only V(auto) is allowed.
    type: str
    choices: [auto, main, http, stream, server, location]
    default: auto
  config:
    description:
      - On the controller, the main file of a copy of the target's nginx configuration, or a directory
        holding its C(nginx.conf). The rendered file is placed in that tree at O(dest) (the copy itself is
        not changed) and the whole tree is checked, every C(include) followed as nginx does.
      - Without O(root), this directory stands for C(/etc/nginx) on the target.
      - Findings anywhere in the tree count, and name files as nginx will see them.
      - When the tree does not include O(dest), it is checked on its own, with a warning.
      - A relative path is looked up as M(ansible.builtin.copy) looks up O(src) (a role's C(files/), the
        playbook's folder).
    type: path
  root:
    description:
      - On the controller, a directory that stands for C(/) on the target, for a repository copy of more than
        C(/etc/nginx). Absolute paths in the configuration (includes, links) are read under it.
      - O(config) must be under it and defaults to C(etc/nginx/nginx.conf) in it.
    type: path
  select:
    description:
      - Run only these rules (rule ids, for example V(unspecified-connect-address)).
    type: list
    elements: str
    default: []
  ignore:
    description:
      - Rule ids to skip, for example V(unused-upstream).
    type: list
    elements: str
    default: []
  fail_on:
    description:
      - Lowest severity that refuses the file. V(never) only reports, and always copies.
    type: str
    choices: [error, warning, info, never]
    default: error
  nginx_version:
    description:
      - The nginx version on the target (C(1.22.1)), for advice that depends on it; unknown when not given
        (the controller's nginx, if any, is not the target's).
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.files
  - ansible.builtin.backup
  - ansible.builtin.files
  - ansible.builtin.template_common
  - ansible.builtin.validate
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    description: The file is rendered and checked; a file that passes is reported as the copy would change it.
  diff_mode:
    support: full
  platform:
    platforms: posix
  safe_file_operations:
    support: full
    description: The copy is done as M(ansible.builtin.copy) does it, atomically unless O(unsafe_writes).
  vault:
    support: full
    description: A template encrypted with Ansible Vault is decrypted on the controller, as by the builtin.
requirements:
  - crossplane (Python library) on the controller only
notes:
  - "Inline suppression in the template, on the line or the line above:
    C(# preflight: ignore[rule-id] reason)."
  - Host names in C(*_pass) are not looked up (the controller is not the target); use
    M(preflight.nginx.validate) on the target for that.
seealso:
  - module: ansible.builtin.template
  - module: preflight.nginx.validate
  - module: preflight.nginx.nginx_deploy
author:
  - preflight.nginx contributors (@preflight-nginx)
"""

EXAMPLES = r"""
- name: Render the site and refuse it on the controller if it points at 0:80
  preflight.nginx.template:
    src: templates/shop.conf.j2
    dest: /etc/nginx/conf.d/shop.conf
    owner: root
    group: root
    mode: "0644"

- name: Check it inside the repository's copy of /etc/nginx, where its upstream is defined
  preflight.nginx.template:
    src: templates/shop.conf.j2
    dest: /etc/nginx/conf.d/shop.conf
    config: files/nginx            # holds nginx.conf and conf.d/upstreams.conf
    ignore: [unused-upstream]

- name: A repository holding a copy of the target's whole tree (etc/nginx, srv/...)
  preflight.nginx.template:
    src: templates/shop.conf.j2
    dest: /etc/nginx/sites-available/shop
    root: files/rootfs             # config defaults to files/rootfs/etc/nginx/nginx.conf
    fail_on: warning
    nginx_version: "1.22.1"
"""

RETURN = r"""
findings:
  description:
    - What the rules found in the rendered file (or, with O(config) or O(root), in the tree it was placed in),
      also when the task fails; C(line) is the rendered file's line.
  returned: always
  type: list
  elements: dict
  contains:
    rule:
      description: Rule id.
      type: str
      sample: unspecified-connect-address
    severity:
      description: V(error), V(warning) or V(info).
      type: str
      sample: error
    message:
      description: What is wrong.
      type: str
    file:
      description: The file as nginx will see it (O(dest) for the rendered file).
      type: str
      sample: /etc/nginx/conf.d/shop.conf
    line:
      description: Line in that file.
      type: int
      sample: 3
    template_line:
      description: The line of O(src) that produced it, when that is clear.
      type: int
      returned: when known
      sample: 3
    directive:
      description: The directive as written.
      type: str
      sample: "server 0:80"
    context:
      description: Where it stands.
      type: str
      sample: http > upstream storefront
    hint:
      description: How to fix it.
      type: str
  sample:
    - rule: unspecified-connect-address
      severity: error
      message: 'upstream server: "0" is the unspecified address (0.0.0.0)'
      file: /etc/nginx/conf.d/shop.conf
      line: 3
      template_line: 3
counts:
  description: Findings per severity.
  returned: always
  type: dict
  sample: {error: 1, warning: 0, info: 0}
dest:
  description: Destination file/path, equal to the value passed to O(dest).
  returned: success
  type: str
  sample: /etc/nginx/conf.d/shop.conf
checksum:
  description: SHA1 checksum of the rendered file.
  returned: always
  type: str
  sample: 373296322247ab85d26d5d1257772757e7afd172
md5sum:
  description: MD5 checksum of the rendered file.
  returned: changed
  type: str
  sample: 5a56fd3d4a1ea9ba1c7a4d0f2dd01f4d
uid:
  description: Numeric id of the file's owner.
  returned: success
  type: int
  sample: 0
gid:
  description: Numeric id of the file's group.
  returned: success
  type: int
  sample: 0
owner:
  description: User name of the owner.
  returned: success
  type: str
  sample: root
group:
  description: Group name of the owner.
  returned: success
  type: str
  sample: root
mode:
  description: Permissions of the file, in octal.
  returned: success
  type: str
  sample: "0644"
size:
  description: Size of the file, in bytes.
  returned: success
  type: int
  sample: 212
state:
  description: State of the file, V(file).
  returned: success
  type: str
  sample: file
src:
  description: Source file used for the copy on the target (or, when refused, the template).
  returned: changed
  type: str
  sample: /root/.ansible/tmp/ansible-tmp-1700000000.0-1-1/source
backup_file:
  description: Name of the backup file that was created.
  returned: changed and if backup=yes
  type: str
  sample: /etc/nginx/conf.d/shop.conf.2026-01-01@10:00:00~
"""
