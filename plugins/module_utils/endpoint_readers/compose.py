# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compose files: each service's healthcheck.test, command, entrypoint and environment.

``${VAR}`` and ``${VAR:-default}`` are Compose's interpolation, from the .env file
beside the Compose file (and the scan's variables); ``$$`` is a literal dollar the
container's shell sees. A service's environment and env_file feed its commands.
``ports: ["0.0.0.0:80:80"]`` is where the host binds: not judged.

A service that ``extends`` another (``extends: base`` in the same file, or
``extends: {file: common.yml, service: base}``) inherits its environment, env_file,
command, entrypoint and healthcheck test, as Compose merges them: the service's own
environment keys win, its own command replaces the base's. The inherited values are
judged as the service's, at the line of the file where they are written. An extends
that cannot be followed (a missing file, no such service) is a note, not an error:
only what it would add goes unjudged.
"""

from __future__ import annotations

import copy
import os
import re

from ansible_collections.preflight.nginx.plugins.module_utils.endpoint_readers import base, yamlnodes

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


_MAX_EXTENDS = 5  # a longer chain of extends is a loop or a mistake


def read(source):
    uses = []
    dotenv = source.env_file(".env") or {}  # relative paths are read beside this file
    interpolation = dict(dotenv)
    interpolation.update(source.variables)
    for document in yamlnodes.load(source):
        services = yamlnodes.get(document, "services")
        for name, service in yamlnodes.items(services):
            uses.extend(_service(name, _layers(source, name, service, services), interpolation))
    return uses


class _Layer:
    """A service, or one it extends: its node, the file it is in, and how the service reaches it."""

    def __init__(self, name, source, node, services, label=""):
        self.name, self.source, self.node, self.services, self.label = name, source, node, services, label


def _layers(source, name, service, services):
    """[_Layer] of a service and the services it extends, the furthest base first, the service last."""
    layers = [_Layer(name, source, service, services)]
    seen = {(source.path, name)}
    while True:
        current = layers[0]
        extends = yamlnodes.get(current.node, "extends")
        if extends is None:
            return layers
        if len(layers) > _MAX_EXTENDS:
            _unfollowed(source, current, yamlnodes.line(extends), "is more than %d extends away from service %s"
                        % (_MAX_EXTENDS, name))
            return layers
        number = yamlnodes.line(extends)
        if extends.id == "scalar":
            file, base_name = None, extends.value
        else:
            file = yamlnodes.scalar(yamlnodes.get(extends, "file"))
            base_name = yamlnodes.scalar(yamlnodes.get(extends, "service"))
        if not base_name:
            _unfollowed(source, current, number, "extends names no service")
            return layers
        other, base_services = current.source, current.services
        if file:
            try:
                other = current.source.other(file)
                base_services = next((yamlnodes.get(d, "services") for d in yamlnodes.load(other)
                                      if yamlnodes.get(d, "services") is not None), None)
            except OSError as exc:
                _unfollowed(source, current, number, "extends %s, which cannot be read here (%s)" % (
                    file, getattr(exc, "strerror", None) or exc))
                return layers
            except base.ReadError as exc:
                _unfollowed(source, current, number, "extends %s, which cannot be read: %s%s" % (
                    file, exc, " at line %d" % exc.line if exc.line else ""))
                return layers
        node = yamlnodes.get(base_services, base_name)
        if node is None:
            _unfollowed(source, current, number, "extends service %s, which %s does not define" % (
                base_name, file or "this file"))
            return layers
        if (other.path, base_name) in seen:
            _unfollowed(source, current, number, "extends %s in a loop" % base_name)
            return layers
        seen.add((other.path, base_name))
        label = "extends %s%s" % (base_name, " in " + file if file else "")
        if current.label:
            label = "%s, which %s" % (current.label, label)
        layers.insert(0, _Layer(base_name, other, node, base_services, label))


def _unfollowed(source, layer, number, why):
    """A note where the extends is written: only what it would add goes unjudged."""
    source.notes.append({"file": layer.source.path, "line": number,
                         "message": "service %s %s: what it inherits is not judged" % (layer.name, why)})


def _service(name, layers, interpolation):
    uses = []
    variables = dict(interpolation)
    for layer in layers:
        for env_file in _env_files(yamlnodes.get(layer.node, "env_file")):
            variables.update(layer.source.env_file(env_file) or {})
    for index, layer in enumerate(layers):
        # A key the service (or a nearer base) sets again is not this service's value.
        overridden = {key for later in layers[index + 1:]
                      for key, _value, _line in yamlnodes.env_pairs(yamlnodes.get(later.node, "environment"))}
        uses.extend(yamlnodes.env_uses(layer.source, yamlnodes.get(layer.node, "environment"), variables,
                                       "service %s environment" % name, skip=overridden,
                                       via="service %s %s" % (name, layer.label) if layer.label else ""))
    variables = {key: value.replace("$$", "$") for key, value in variables.items()}
    for key in ("healthcheck.test", "command", "entrypoint"):
        layer, node = _nearest(layers, key)
        if node is None:
            continue
        source = layer.source
        where = "service %s %s" % (name, key) + (" (%s)" % layer.label if layer.label else "")
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


def _nearest(layers, key):
    """The layer that sets ``key`` nearest the service (its own first), and the value node."""
    for layer in reversed(layers):
        if key == "healthcheck.test":
            node = yamlnodes.get(yamlnodes.get(layer.node, "healthcheck"), "test")
        else:
            node = yamlnodes.get(layer.node, key)
        if node is not None:
            return layer, node
    return None, None


def _unescaped(nodes):
    return [_unescaped_one(node) for node in nodes]


def _unescaped_one(node):
    # A copy: a base service's node is read again for each service that extends it.
    node = copy.copy(node)
    node.value = node.value.replace("$$", "$")
    return node


def _shell(source, node, variables, where):
    return yamlnodes.shell_uses(source, _unescaped_one(node), variables, where)


def _env_files(node):
    found = []
    for item in ([node] if node is not None and node.id == "scalar" else node.value if node is not None and
                 node.id == "sequence" else []):
        if item.id == "scalar":
            found.append(item.value)
        elif item.id == "mapping" and yamlnodes.scalar(yamlnodes.get(item, "path")):
            found.append(yamlnodes.scalar(yamlnodes.get(item, "path")))
    return found
