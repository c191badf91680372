# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compose files: each service's healthcheck.test, command, entrypoint and environment.

``${VAR}`` and ``${VAR:-default}`` are Compose's interpolation, from the .env file
beside the Compose file (and the scan's variables); ``$$`` is a literal dollar the
container's shell sees. A service's environment and env_file feed its commands.
``ports: ["0.0.0.0:80:80"]`` is where the host binds: not judged.
"""

from __future__ import annotations

import os
import re

from ansible_collections.preflight.nginx.plugins.module_utils.endpoint_readers import yamlnodes

KIND = "compose"
_NAME = re.compile(r"^(docker-)?compose([.-][A-Za-z0-9_.-]+)?\.ya?ml$")
_SERVICE_KEYS = {"image", "build", "command", "healthcheck", "environment", "ports", "depends_on", "volumes"}


def claims(path, text):
    name = os.path.basename(path)
    if _NAME.match(name):
        return True
    if not yamlnodes.is_yaml_name(path) or "services:" not in text:
        return False
    return re.search(r"(?m)^services:\s*$", text) is not None and re.search(
        r"(?m)^\s+(image|build):", text) is not None and re.search(r"(?m)^(apiVersion|kind|jobs):", text) is None


def read(source):
    uses = []
    dotenv = source.env_file(".env") or {}  # relative paths are read beside this file
    interpolation = dict(dotenv)
    interpolation.update(source.variables)
    for document in yamlnodes.load(source):
        services = yamlnodes.get(document, "services")
        for name, service in yamlnodes.items(services):
            uses.extend(_service(source, name, service, interpolation))
    return uses


def _service(source, name, service, interpolation):
    uses = []
    variables = dict(interpolation)
    for env_file in _env_files(yamlnodes.get(service, "env_file")):
        variables.update(source.env_file(env_file) or {})
    uses.extend(yamlnodes.env_uses(source, yamlnodes.get(service, "environment"), variables,
                                   "service %s environment" % name))
    variables = {key: value.replace("$$", "$") for key, value in variables.items()}
    healthcheck = yamlnodes.get(service, "healthcheck")
    for key, node in (("healthcheck.test", yamlnodes.get(healthcheck, "test")),
                      ("command", yamlnodes.get(service, "command")),
                      ("entrypoint", yamlnodes.get(service, "entrypoint"))):
        if node is None:
            continue
        where = "service %s %s" % (name, key)
        if node.id == "sequence":
            words = yamlnodes.strings(node)
            if words and words[0].value in ("CMD-SHELL",) and len(words) > 1:
                uses.extend(_shell(source, words[1], variables, where))
            else:
                words = words[1:] if words and words[0].value in ("CMD", "NONE") else words
                uses.extend(yamlnodes.argv_uses(source, _unescaped(words), variables, where))
        elif node.id == "scalar":
            uses.extend(_shell(source, node, variables, where))
    return uses


def _unescaped(nodes):
    for node in nodes:
        node.value = node.value.replace("$$", "$")
    return nodes


def _shell(source, node, variables, where):
    node.value = node.value.replace("$$", "$")
    return yamlnodes.shell_uses(source, node, variables, where)


def _env_files(node):
    found = []
    for item in ([node] if node is not None and node.id == "scalar" else node.value if node is not None and
                 node.id == "sequence" else []):
        if item.id == "scalar":
            found.append(item.value)
        elif item.id == "mapping" and yamlnodes.scalar(yamlnodes.get(item, "path")):
            found.append(yamlnodes.scalar(yamlnodes.get(item, "path")))
    return found
