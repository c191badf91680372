# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CI pipelines: GitHub Actions steps' run: and env:, GitLab CI jobs' script lines and variables:.

``${{ ... }}`` (Actions expressions) and variables the CI sets are not known here:
not judged. env:/variables: at the workflow, job and step levels feed the steps below.
"""

from __future__ import annotations

import os
import re

from ansible_collections.preflight.nginx.plugins.module_utils.endpoint_readers import yamlnodes

KIND = "ci"
_GITLAB_SCRIPTS = ("before_script", "script", "after_script")
_GITLAB_RESERVED = {"default", "include", "stages", "variables", "workflow", "image", "services", "cache"}


def claims(path, text):
    if not yamlnodes.is_yaml_name(path):
        return False
    name = os.path.basename(path)
    if "/.github/workflows/" in "/" + path or name in (".gitlab-ci.yml", ".gitlab-ci.yaml") or \
            name == "action.yml" or name == "action.yaml":
        return True
    github = re.search(r"(?m)^jobs:\s*$", text) and re.search(r"(?m)^\s+(runs-on|steps):", text)
    gitlab = re.search(r"(?m)^\s+script:", text) and re.search(r"(?m)^(stages|[A-Za-z0-9_. -]+):\s*$", text) \
        and not re.search(r"(?m)^(apiVersion|services):", text)
    return bool(github or gitlab)


def read(source):
    uses = []
    for document in yamlnodes.load(source):
        if yamlnodes.get(document, "jobs") is not None or yamlnodes.get(document, "runs") is not None:
            uses.extend(_github(source, document))
        else:
            uses.extend(_gitlab(source, document))
    return uses


def _github(source, document):
    variables = dict(source.variables)
    uses = yamlnodes.env_uses(source, yamlnodes.get(document, "env"), variables, "workflow env")
    jobs = yamlnodes.items(yamlnodes.get(document, "jobs"))
    runs = yamlnodes.get(document, "runs")  # a composite action
    if runs is not None:
        jobs = [("action", runs)]
    for name, job in jobs:
        job_vars = dict(variables)
        uses.extend(yamlnodes.env_uses(source, yamlnodes.get(job, "env"), job_vars, "job %s env" % name))
        steps = yamlnodes.get(job, "steps")
        for index, step in enumerate(steps.value if steps is not None and steps.id == "sequence" else [], 1):
            step_vars = dict(job_vars)
            label = yamlnodes.scalar(yamlnodes.get(step, "name")) or "step %d" % index
            uses.extend(yamlnodes.env_uses(source, yamlnodes.get(step, "env"), step_vars, "%s env" % label))
            run = yamlnodes.get(step, "run")
            if run is not None and run.id == "scalar":
                uses.extend(yamlnodes.shell_uses(source, run, step_vars, "job %s, %s" % (name, label)))
    return uses


def _gitlab(source, document):
    variables = dict(source.variables)
    uses = yamlnodes.env_uses(source, yamlnodes.get(document, "variables"), variables, "variables")
    for name, job in yamlnodes.items(document):
        if name in _GITLAB_RESERVED or job.id != "mapping":
            continue
        job_vars = dict(variables)
        uses.extend(yamlnodes.env_uses(source, yamlnodes.get(job, "variables"), job_vars, "job %s variables" % name))
        for key in _GITLAB_SCRIPTS:
            for line in _script_lines(yamlnodes.get(job, key)):
                uses.extend(yamlnodes.shell_uses(source, line, job_vars, "job %s %s" % (name, key)))
    return uses


def _script_lines(node):
    if node is None:
        return []
    if node.id == "scalar":
        return [node]
    found = []
    for item in node.value if node.id == "sequence" else []:
        if item.id == "sequence":  # !reference and nested lists
            found.extend(_script_lines(item))
        elif item.id == "scalar":
            found.append(item)
    return found
