#!/usr/bin/python
# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nginx_deploy
short_description: Deploy nginx configuration files transactionally, in one step on the host
version_added: "0.1.0"
description:
  - The engine of the P(preflight.nginx.gate#role) role. In one run on the host it restores the files of a
    deploy that died half-way, works out which of O(files) change, stages them beside the live files (under
    hidden names no C(include) glob matches), validates the staged tree as nginx will see it at its live paths
    (the preflight.nginx rules, C(nginx -t) in a private mount namespace with the staged files bound over the
    live ones, a connection to every backend), previews it (O(preview), below), snapshots the live files, swaps
    the new ones in with a rename, reloads nginx and waits for its new workers, runs the health checks, and
    keeps the new files. Nothing unvalidated is ever at a live path.
  - "A validation failure changes nothing live (C(blocked: validation failed: ...; nothing live was changed))."
  - "With health checks, the staged tree is then previewed before anything goes live (O(preview)): a throwaway
    nginx (same binary, same C(user)) starts on the new tree with every C(listen) moved to a free loopback port of
    the same family (servers that share a live socket share one preview port, so C(server_name) and
    C(default_server) route as they will live) and its pid, logs, temp and cache folders in the deploy's scratch
    folder; the health checks run against it with their URLs unchanged (same Host, same SNI) through curl's
    C(--connect-to); then it stops. A check failing there blocks the deploy with nothing live changed
    (C(blocked: preview failed: ...)), so no client ever gets an answer from the bad config. After the switch
    the same checks run on the live nginx, as the second line of defence."
  - "What cannot be previewed faithfully is said as a warning, C(preview skipped: <why>), and the deploy goes on
    with the checks after the switch: a configuration that listens only on UNIX sockets, a directive whose
    effects a preview cannot keep to itself (embedded Perl or Lua, C(proxy_store)), a C(listen) port range, no
    free loopback port, or no health check that reaches a C(listen) of the new configuration."
  - "When a step after the snapshot fails, the previous files are restored byte for byte, nginx is reloaded
    onto them if it had been reloaded (or if something else, a certbot hook or an admin, reloaded it during
    the deploy, which the message then says), and the health checks run again; the task fails with
    C(rolled back: <step> failed: <why>; previous config restored and healthy)."
  - When nothing changes, nothing is reloaded; the live tree is validated and the health checks run.
  - In check mode, a copy of the configuration folder with the new files in it is validated instead, and
    nothing on the host changes.
options:
  files:
    description:
      - The files. Each has C(dest) and either C(content), C(content_base64) or C(src), and optionally C(mode)
        (C(0644) or symbolic such as C(u=rw,g=r,o=r)), C(owner), C(group) and C(state).
      - C(src) is rendered on the controller before the host is touched, with Ansible's template lookup when it
        ends in C(.j2) or C(template) is true, else read as a plain file (bytes that are not UTF-8, which
        nginx accepts, travel as C(content_base64)).
      - Without C(mode), C(owner) or C(group), an existing file keeps its own; a new file gets C(0644) and the
        deploying user.
      - No file content appears in any output (the contents travel beside the arguments, see O(content_file)),
        except in C(--diff); there too, an item with C(no_log=true), or whose old or new content looks like a
        secret (a private key, htpasswd password hashes), shows a note saying why its content is not shown.
      - C(dest) must be an absolute path inside the folder of O(config) unless O(allow_outside) is set, and each
        file may be given once. What is judged is the path really written or removed, every component resolved;
        a C(dest) that is a link to a file outside, or under a folder that is a link to outside, is refused by
        name, with the path it resolves to, for C(state=absent) too.
      - A C(dest) that is a symbolic link (a C(sites-enabled) entry) is written through. The file it points
        to changes, the link stays, and a rollback restores exactly that.
      - C(state=absent) removes the file, or the link itself when C(dest) is one (a site disabled); C(link) (the
        file a link at C(dest) points to, C(state=link)) makes the link (a site enabled). Both happen in the same
        transaction as the other files and are undone on failure.
    type: list
    elements: dict
    required: true
  config:
    description: The main nginx configuration file.
    type: path
    default: /etc/nginx/nginx.conf
  prefix:
    description: nginx's prefix (C(-p)), when the instance has its own.
    type: path
  nginx_binary:
    description: The nginx binary.
    type: str
    default: nginx
  nginx_test:
    description: Also run C(nginx -t) on the new tree.
    type: bool
    default: true
  fail_on:
    description: Lowest finding severity that stops the deploy.
    type: str
    choices: [error, warning, info]
    default: error
  rules:
    description: Rule ids not to run.
    type: list
    elements: str
    default: []
  probe_backends:
    description:
      - How a partial outage counts, a backend that refuses connections while another server of its upstream
        answers. V(warning) reports it and goes on, V(error) blocks the deploy, V(none) does not probe.
      - An upstream whose every server refuses (or a lone C(*_pass) target that refuses) blocks the deploy with
        V(warning) too (finding C(backend-unreachable)); only V(none) lets it through.
    type: str
    choices: [none, warning, error]
    default: warning
  probe_timeout:
    description: Seconds to wait for each backend connection.
    type: float
    default: 1
  reload_method:
    description: V(signal) signals the master of the pid file; V(systemd) runs C(systemctl reload O(service)).
    type: str
    choices: [signal, systemd]
    default: systemd
  service:
    description: The systemd unit of nginx.
    type: str
    default: nginx
  pid_file:
    description: The master's pid file; by default from the configuration, else nginx's compiled-in path.
    type: path
  reload_timeout:
    description: Seconds to wait for nginx's new workers.
    type: float
    default: 10
  health_checks:
    description:
      - Health checks after the reload, each a dict of M(preflight.nginx.http_check) options. A C(deadline)
        bounds the whole check, curl's own timeouts included.
      - With O(preview) (on by default when checks are given), the same checks first run on a preview nginx on
        the new tree, before the live nginx is switched.
      - After a rollback, only the checks the previous config can answer run again; one aimed at a port the
        previous config does not listen on is left out, and the message names it and says why.
    type: list
    elements: dict
    default: []
  backup_dir:
    description: Where the snapshots are kept.
    type: path
    default: /var/backups/preflight-nginx
  keep:
    description: How many snapshots to keep, committed and rolled back alike.
    type: int
    default: 5
  allow_outside:
    description: Allow a C(dest) outside the folder of O(config) (an include elsewhere).
    type: bool
    default: false
  preview:
    description:
      - Health-check a throwaway nginx on the new tree before the live nginx sees it (see the description);
        V(false) turns it off, and the health checks then run only after the switch.
      - By default on when O(health_checks) are given.
    type: bool
  validate_in_place:
    description:
      - Where C(nginx -t) cannot see the staged files at their live paths (the module does not run as root,
        C(unshare) from util-linux is missing, or the host allows no private mount namespace, as in some
        containers), the deploy refuses by default, saying why, and changes nothing.
      - V(true) allows the older order there instead (snapshot, write the new files over the live ones, then
        validate them in place). Unvalidated files are then live for the whole validation, and a reload by
        anything else meanwhile (a certbot hook, an admin) loads them; the rollback then reloads too.
      - Where staging works, this option changes nothing. With O(nginx_test=false) staging needs no namespace.
    type: bool
    default: false
  fail_on_error:
    description:
      - V(false) returns a failed deploy as a result with RV(ok=false) and RV(msg) instead of failing the task;
        the P(preflight.nginx.gate#role) role uses it to show what changes for nginx, then fails the host with
        the message (and no suppressed-exception noise at C(-v)).
    type: bool
    default: true
  content_file:
    description:
      - Set by the module's action plugin, not by hand. The contents of O(files) travel in this file in the
        task's temporary folder (removed after the run) instead of in the arguments, so that no file content
        appears in the invocation Ansible prints at C(-vvv) or in the host's log.
    type: path
  lock_timeout:
    description:
      - Seconds to wait for another deploy to the same nginx instance to finish. Deploys to one instance never
        interleave, whatever their O(backup_dir); the lock is keyed by the real path of the folder of O(config)
        (a file under C(/run/lock)), and a second lock guards each O(backup_dir). The second deploy waits, then
        fails saying so.
    type: float
    default: 60
requirements:
  - crossplane (Python library) on the controller (shipped to the host for the run); nginx and curl on the host
attributes:
  check_mode:
    support: full
    description: Validates a staged copy with the new files (the rules, and C(nginx -t) with the staged files
      shown at their live paths in a private mount namespace, as root) and reports what would change; the host
      is untouched.
  diff_mode:
    support: full
    description: The before and after of each changing file, as M(ansible.builtin.template) shows them; what
      changes for nginx is in RV(changes).
seealso:
  - module: preflight.nginx.validate
  - module: preflight.nginx.http_check
  - module: preflight.nginx.config_transaction
author:
  - preflight.nginx contributors (@preflight-nginx)
"""

EXAMPLES = r"""
- name: Deploy the shop's site (the gate role does this for you)
  preflight.nginx.nginx_deploy:
    files:
      - dest: /etc/nginx/conf.d/shop.conf
        content: "{{ lookup('ansible.builtin.template', 'shop.conf.j2') }}"
    health_checks:
      - url: http://127.0.0.1/health
"""

RETURN = r"""
msg:
  description:
    - What went wrong, when the deploy failed (returned as a result with O(fail_on_error=false)); with a
      deploy that died half-way and was recovered, what was recovered (RV(recovery)) first.
  returned: when the deploy failed or recovered a deploy that died half-way
  type: str
ok:
  description: Whether the deploy (or, with nothing to change, the checks) went through.
  returned: always
  type: bool
changing:
  description: The files that were (or in check mode would be) written.
  returned: always
  type: list
  elements: str
recovered:
  description: Files restored from a deploy that died half-way.
  returned: always
  type: list
  elements: str
recovery:
  description:
    - What the run did about a deploy that died half-way, also given as a warning and at the start of RV(msg)
      (C(recovered the deploy of <time> that was interrupted after its reload ...), then the files restored).
      The run then goes on with its own change; the restored files are not judged by this run's health checks.
  returned: when a deploy that died half-way was recovered
  type: str
changes:
  description: What changes for nginx (sockets, upstreams, targets), one line per change.
  returned: always
  type: list
  elements: str
  sample: ["upstream storefront: 127.0.0.1:8081 \u2192 0:80"]
diff:
  description: The before and after of each file that changes, shown by C(--diff) as C(---)/C(+++) lines.
  returned: when diff mode is on and a file changes
  type: list
  elements: dict
findings:
  description: The validation's findings (rules, nginx -t, unreachable backends).
  returned: always
  type: list
  elements: dict
probes:
  description: The backend connections tried.
  returned: always
  type: list
  elements: dict
preview:
  description:
    - What the preview did. C(ran) and C(ok); C(skipped) says why it could not run (also a warning); C(checks)
      has each health check's result on the preview, C(not_previewed) the checks it could not stand in for
      (they run after the switch only), C(error) what the failing check saw, C(elapsed) the seconds it took.
  returned: when files change
  type: dict
  sample: {ran: true, ok: true, skipped: null, checks: [{url: "https://shop.example.com/health", ok: true,
           status: 200, attempts: 1}], not_previewed: [], error: null, elapsed: 0.21}
health:
  description: The health checks that ran after the reload.
  returned: always
  type: list
  elements: dict
steps:
  description: The steps taken, with the seconds from the start at which each began.
  returned: always
  type: list
  elements: dict
snapshot:
  description: The snapshot taken before the swap.
  returned: always
  type: str
rollback_failed:
  description:
    - True when the rollback itself could not put every file back; RV(msg) then starts with C(ROLLBACK FAILED),
      names the files not restored and those restored, and says what nginx runs now. The transaction stays
      open and the next deploy to the host restores it first.
  returned: when the rollback failed
  type: bool
"""

import json

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.preflight.nginx.plugins.module_utils import engine, nginx_config
from ansible_collections.preflight.nginx.plugins.module_utils.findings import one_line
from ansible_collections.preflight.nginx.plugins.module_utils.host import deploy


def main():
    module = AnsibleModule(
        argument_spec=dict(
            deploy.OPTIONS,
            content_file=dict(type="path"),
            fail_on_error=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    if not nginx_config.HAS_CROSSPLANE:
        module.fail_json(msg=missing_required_lib("crossplane"), exception=nginx_config.CROSSPLANE_IMPORT_ERROR)
    params = module.params
    files = params["files"]
    if params["content_file"]:
        try:
            with open(params["content_file"]) as handle:
                contents = json.load(handle)
            # Merged into a copy: module.params (the invocation at -vvv) keeps no content.
            files = [dict(item, **(content or {})) if isinstance(item, dict) else item
                     for item, content in zip(files, contents)]
        except (OSError, ValueError, TypeError) as exc:
            module.fail_json(msg="nothing was changed: cannot read content_file %s: %s" % (params["content_file"], exc))
    for index, check in enumerate(params["health_checks"]):
        for secret in deploy.http_probe.secrets_of(check):
            module.no_log_values.add(secret)  # masked in every message, and in the invocation at -vvv
        problems = deploy.http_probe.check_problems(check)
        if problems:
            module.fail_json(msg="health_checks[%d]: %s" % (index, "; ".join(problems)))
    try:
        engine.resolve_rule_ids(params["rules"])
    except ValueError as exc:
        module.fail_json(msg="rules: %s" % exc)
    # Every tool the run needs is found before anything is touched.
    missing = []
    nginx = module.get_bin_path(params["nginx_binary"], opt_dirs=["/usr/sbin", "/usr/local/sbin"])
    if nginx is None and (params["nginx_test"] or params["reload_method"] == "signal"):
        missing.append("nginx (nginx_binary=%s), to test the new configuration before nginx sees it"
                       % params["nginx_binary"])
    curl = module.get_bin_path("curl")
    if curl is None and params["health_checks"]:
        missing.append("curl, for the health checks")
    if params["reload_method"] == "systemd" and module.get_bin_path("systemctl") is None:
        missing.append("systemctl, for reload_method=systemd (use reload_method=signal without systemd)")
    if missing:
        module.fail_json(msg="nothing was changed: the host lacks %s" % "; ".join(missing))
    try:
        options = {name: params[name] for name in deploy.OPTIONS if name != "files"}
        options["nginx_binary"] = nginx or params["nginx_binary"]
        settings = deploy.Settings(files=files, curl=curl or "curl", **options)
    except deploy.InputError as exc:
        module.fail_json(msg="nothing was changed: %s" % exc)

    def run_command(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    try:
        result = deploy.run(settings, run_command, check_mode=module.check_mode)
    except deploy.Stopped as exc:  # before the snapshot: the host is as it was
        module.fail_json(msg="nothing was changed: %s" % exc)
    for warning in result.pop("warnings", ()):
        module.warn(warning)
        if warning.startswith("preview"):
            module.log(warning)  # the host's journal keeps what the preview could not check
    if (result.get("preview") or {}).get("error"):
        module.log("preview failed: %s" % result["preview"]["error"])
    file_diffs = result.pop("file_diffs", [])
    if module._diff and file_diffs:
        result["diff"] = file_diffs
    for finding in result.get("findings", ()):
        if finding["rule"] == "backend-unreachable" and finding["severity"] == "warning":
            module.warn(one_line(finding))  # a partial outage
    if result.pop("failed"):
        result["ok"] = False
        if params["fail_on_error"]:
            module.fail_json(**result)
        module.exit_json(**result)
    if not result["msg"]:
        result.pop("msg")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
