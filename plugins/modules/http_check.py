#!/usr/bin/python
# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: http_check
short_description: Health-check a URL with curl, after judging the URL itself
version_added: "0.1.0"
description:
  - Requests O(url) with the real C(curl) binary (an argument list, never a shell) until it answers
    with one of O(status) (and matches O(body_regex)), retries run out, or O(deadline) passes.
  - Before running anything, judges the URL with the same engine as M(preflight.nginx.validate), so
    C(http://0:80) fails at once with what C(0) means and what to use instead.
  - On failure, says what went wrong in plain words, for example C(connection refused to 127.0.0.1:80).
options:
  url:
    description: The URL to request, C(http://) or C(https://).
    type: str
    required: true
  method:
    description: The HTTP method.
    type: str
    default: GET
  status:
    description: Status codes that count as healthy.
    type: list
    elements: int
    default: [200]
  body_regex:
    description: A regular expression the response body must match (searched, not anchored).
    type: str
  headers:
    description:
      - Request headers. Their values are passed to curl through a private file, never on the command
        line, and never returned.
    type: dict
    default: {}
  timeout:
    description: Seconds one attempt may take, connecting included.
    type: float
    default: 5
  retries:
    description: Further attempts after a failed one (ignored when O(deadline) is set).
    type: int
    default: 0
  delay:
    description: Seconds between attempts.
    type: float
    default: 1
  deadline:
    description:
      - Seconds the whole check may take, every attempt and wait included; each attempt's curl timeout
        (O(timeout)) shrinks to the time left.
    type: float
  resolve:
    description:
      - Entries for curl's C(--resolve), C(host:port:address), to send the request to this host's nginx
        while keeping the public host name (and TLS name).
    type: list
    elements: str
    default: []
  connect_to:
    description: Entries for curl's C(--connect-to), C(host:port:connect-host:connect-port).
    type: list
    elements: str
    default: []
  validate_certs:
    description: Verify the server's TLS certificate.
    type: bool
    default: true
  ca_path:
    description: A CA bundle file or a directory of CA certificates to verify with.
    type: path
  unix_socket:
    description: Connect through this unix socket instead of TCP.
    type: path
  curl_binary:
    description: The curl binary, a name looked up in C(PATH) or an absolute path.
    type: str
    default: curl
attributes:
  check_mode:
    support: full
    description: In check mode the URL is judged and the request is described, not sent.
  diff_mode:
    support: none
    description: Nothing is changed.
requirements:
  - curl on the target
seealso:
  - module: preflight.nginx.validate
author:
  - preflight.nginx contributors (@preflight-nginx)
"""

EXAMPLES = r"""
- name: The site answers through this host's nginx, with its public name
  preflight.nginx.http_check:
    url: https://shop.example.com/health
    resolve: ["shop.example.com:443:127.0.0.1"]
    status: [200]
    body_regex: '"status":\s*"ok"'
    deadline: 10

- name: An internal endpoint with a token header (the value is never logged)
  preflight.nginx.http_check:
    url: http://127.0.0.1:8080/internal/ready
    headers:
      Authorization: "Bearer {{ ready_token }}"
    retries: 5
    delay: 2
"""

RETURN = r"""
ok:
  description: Whether the check passed.
  returned: always
  type: bool
status:
  description: The HTTP status of the last attempt (0 when there was no answer).
  returned: when the request ran
  type: int
  sample: 200
attempts:
  description: How many requests were made.
  returned: when the request ran
  type: int
  sample: 1
elapsed:
  description: Seconds from the first attempt to the end.
  returned: when the request ran
  type: float
  sample: 0.012
remote_ip:
  description: The address curl connected to.
  returned: when the request ran
  type: str
  sample: 127.0.0.1
remote_port:
  description: The port curl connected to.
  returned: when the request ran
  type: int
  sample: 8080
timings:
  description: curl's timings of the last attempt, in seconds.
  returned: when the request ran
  type: dict
  sample: {"namelookup": 0.00002, "connect": 0.0001, "appconnect": 0, "pretransfer": 0.0001,
           "starttransfer": 0.0009, "total": 0.001}
body_excerpt:
  description: The first 1024 characters of the response body.
  returned: when the request ran
  type: str
error:
  description: Why the last attempt failed, in plain words.
  returned: always
  type: str
  sample: connection refused to 127.0.0.1:80
curl_exit:
  description: curl's exit code of the last attempt.
  returned: when the request ran
  type: int
  sample: 0
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.preflight.nginx.plugins.module_utils.host import http_probe


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            method=dict(type="str", default="GET"),
            status=dict(type="list", elements="int", default=[200]),
            body_regex=dict(type="str"),
            headers=dict(type="dict", default={}, no_log=True),
            timeout=dict(type="float", default=5),
            retries=dict(type="int", default=0),
            delay=dict(type="float", default=1),
            deadline=dict(type="float"),
            resolve=dict(type="list", elements="str", default=[]),
            connect_to=dict(type="list", elements="str", default=[]),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            unix_socket=dict(type="path"),
            curl_binary=dict(type="str", default="curl"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    problems = http_probe.url_problems(params["url"])
    if problems:
        module.fail_json(msg="url: %s (%s)" % (problems[0]["message"], problems[0]["hint"]),
                         ok=False, error=problems[0]["message"], problems=problems)
    for name in ("timeout", "delay"):
        if params[name] <= 0:
            module.fail_json(msg="%s: must be more than 0, got %s" % (name, params[name]), ok=False)
    if params["retries"] < 0:
        module.fail_json(msg="retries: must be 0 or more, got %s" % params["retries"], ok=False)
    curl = module.get_bin_path(params["curl_binary"])
    if curl is None:
        module.fail_json(msg="curl_binary: %s not found on the target" % params["curl_binary"], ok=False)
    spec = http_probe.CheckSpec.from_check(params, curl)
    if module.check_mode:
        target = http_probe.target_of(spec)
        module.exit_json(changed=False, ok=True, error=None,
                         msg="would request %s %s (connecting to %s)" % (spec.method, spec.url, target))

    def execute(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    result = http_probe.run(spec, execute)
    if not result["ok"]:
        module.fail_json(msg="health check %s %s failed after %d attempt%s: %s" % (
            spec.method, spec.url, result["attempts"], "" if result["attempts"] == 1 else "s",
            result["error"]), changed=False, **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
