# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes manifests and Helm values: containers' env, command/args, exec probes and hooks.

Manifests are YAML documents with apiVersion and kind. Helm values (values*.yaml
beside a Chart.yaml) have no fixed shape, so every container-like mapping in them
is read: a list of {name, value} under an ``env`` key, ``command``/``args`` lists,
``exec.command`` lists. Helm templates (a chart's templates/ folder) are not valid
YAML before helm renders them: the helm reader reads their command lines, and a
value made of ``{{ }}`` is not judged.
"""

from __future__ import annotations

import os
import re

from ansible_collections.preflight.nginx.plugins.module_utils.endpoint_readers import helm, yamlnodes

KIND = "kubernetes"
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_ENV_KEY = re.compile(r"(?i)env(vars)?$")


def claims(path, text):
    if not yamlnodes.is_yaml_name(path):
        return False
    if is_helm_values(path):
        return True
    return re.search(r"(?m)^apiVersion:\s*\S", text) is not None and re.search(r"(?m)^kind:\s*\S", text) \
        is not None and "/templates/" not in path


def is_helm_values(path):
    name = os.path.basename(path)
    folder = os.path.dirname(path)
    return name.startswith("values") and os.path.isfile(os.path.join(folder or ".", "Chart.yaml"))


def read(source):
    uses = []
    documents = yamlnodes.load(source)
    for document in documents:
        uses.extend(_walk(source, document, dict(source.variables), ""))
    if documents and is_helm_values(source.path):
        uses.extend(helm.values_uses(source, documents[0]))
    return uses


def _walk(source, node, variables, where):
    """Containers wherever they are (pods, deployments, cronjobs, Helm values of any shape)."""
    uses = []
    if node.id == "sequence":
        for item in node.value:
            uses.extend(_walk(source, item, variables, where))
        return uses
    if node.id != "mapping":
        return uses
    keys = dict(yamlnodes.items(node))
    if _is_container(keys):
        return _container(source, node, keys, variables, where)
    for key, value in yamlnodes.items(node):
        if _ENV_KEY.search(key) and _is_env_list(value):
            # Helm values' extraEnvVars, extraEnv, env: a container's environment waiting to be placed
            uses.extend(yamlnodes.env_uses(source, value, dict(variables), key))
            continue
        uses.extend(_walk(source, value, variables, (where + "." + key).lstrip(".")))
    return uses


def _is_env_list(node):
    return node.id == "sequence" and bool(node.value) and all(
        item.id == "mapping" and yamlnodes.get(item, "name") is not None for item in node.value)


def _is_container(keys):
    env = keys.get("env")
    if "image" in keys or "command" in keys or "args" in keys or any(p in keys for p in _PROBES):
        return True
    return env is not None and env.id == "sequence" and any(
        item.id == "mapping" and yamlnodes.get(item, "name") is not None for item in env.value)


def _container(source, node, keys, variables, where):
    name = yamlnodes.scalar(keys.get("name")) or where or "container"
    variables = dict(variables)
    uses = yamlnodes.env_uses(source, keys.get("env"), variables, "container %s env" % name)
    command = yamlnodes.strings(keys.get("command")) if keys.get("command") is not None and \
        keys["command"].id == "sequence" else []
    args = yamlnodes.strings(keys.get("args")) if keys.get("args") is not None and \
        keys["args"].id == "sequence" else []
    if command or args:
        uses.extend(yamlnodes.argv_uses(source, _k8s_vars(command + args), variables,
                                        "container %s command" % name))
    for probe in _PROBES:
        uses.extend(_exec(source, yamlnodes.get(keys.get(probe), "exec"), variables,
                          "container %s %s" % (name, probe)))
    lifecycle = keys.get("lifecycle")
    for hook in ("postStart", "preStop"):
        uses.extend(_exec(source, yamlnodes.get(yamlnodes.get(lifecycle, hook), "exec"), variables,
                          "container %s %s" % (name, hook)))
    for key, value in yamlnodes.items(node):  # sidecars and init containers nested in Helm values
        if key not in ("env", "command", "args", "lifecycle") + _PROBES and value.id in ("mapping", "sequence"):
            if _ENV_KEY.search(key) and _is_env_list(value):
                uses.extend(yamlnodes.env_uses(source, value, dict(variables), key))
            else:
                uses.extend(_walk(source, value, variables, key))
    return uses


def _exec(source, node, variables, where):
    command = yamlnodes.get(node, "command")
    if command is None or command.id != "sequence":
        return []
    return yamlnodes.argv_uses(source, _k8s_vars(yamlnodes.strings(command)), variables, where)


def _k8s_vars(nodes):
    # Kubernetes expands $(VAR) in command and args from the container's env; $$ is a literal $.
    for node in nodes:
        node.value = re.sub(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)", r"${\1}", node.value)
    return nodes
