# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""YAML read as nodes, so that every value keeps its line (Compose, Kubernetes, Helm, CI files).

PyYAML is imported only when a YAML file is read: hosts reviewed by the module need it
only if they hold such files (Debian's python3-yaml).
"""

from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.endpoint_readers import base, shell

_YAML_NAMES = (".yml", ".yaml")


def is_yaml_name(path):
    return path.endswith(_YAML_NAMES)


def load(source):
    """The documents of a YAML file as nodes; ReadError names the line of a syntax error."""
    try:
        import yaml
    except ImportError as exc:
        raise base.ReadError("cannot read YAML here: PyYAML is not installed") from exc
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return [node for node in yaml.compose_all(source.text, Loader=loader) if node is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise base.ReadError("malformed YAML: %s" % problem, mark.line + 1 if mark else None) from exc


def kind(node):
    return node.id  # "scalar", "sequence", "mapping"


def line(node):
    return node.start_mark.line + 1


def items(node):
    """(key text, value node) of a mapping node; nothing for anything else."""
    if node is None or node.id != "mapping":
        return []
    return [(str(key.value), value) for key, value in node.value if key.id == "scalar"]


def get(node, key):
    for name, value in items(node):
        if name == key:
            return value
    return None


def scalar(node):
    if node is not None and node.id == "scalar":
        return node.value
    return None


def strings(node):
    """A list of scalar nodes (a sequence of strings, or one string as a list of one)."""
    if node is None:
        return []
    if node.id == "scalar":
        return [node]
    if node.id == "sequence":
        return [item for item in node.value if item.id == "scalar"]
    return []


def first_text_line(node):
    """The file line where a scalar's text starts (a block scalar's text starts below its | or >)."""
    if node.style in ("|", ">"):
        return line(node) + 1
    return line(node)


def shell_uses(source, node, variables, where, judge_exports=False):
    """The Uses of shell text in a scalar node (a CI step's run:, a Compose command string)."""
    text = node.value
    if node.style == "|":
        return shell.read_shell(source, text, first_text_line(node), dict(variables), where, judge_exports)
    # Folded, quoted or plain text is one logical line to the reader: report it at its first line.
    uses = shell.read_shell(source, text.replace("\n", " "), first_text_line(node), dict(variables), where,
                            judge_exports)
    for use in uses:
        use.line = first_text_line(node)
    return uses


def argv_uses(source, nodes, variables, where):
    """The Uses of a command given as a list (exec form, Kubernetes command + args)."""
    words = [n.value for n in nodes]
    if not words:
        return []
    uses = base.command_uses(source, line(nodes[0]), words, variables, where)
    for use in uses:  # the line of the word that holds the target
        for node in nodes:
            if use.raw and use.raw in node.value:
                use.line = first_text_line(node)
                break
    return uses


def env_uses(source, node, variables, feeds, skip=(), via=""):
    """Endpoint-named variables of an env list ([{name, value}], ["K=V"]) or mapping ({K: V}).

    ``variables`` is updated with every value, so the commands below can follow them. Keys in
    ``skip`` are left out (set again by the service that extends this one).
    """
    uses = []
    for key, value, number in env_pairs(node):
        if key in skip:
            continue
        expanded = base.expand_variables(value, variables)
        variables[key] = expanded
        use = base.variable_use(source, number, key, expanded, "%s %s" % (feeds, key))
        if use is not None:
            use.via = via
            uses.append(use)
    return uses


def env_pairs(node):
    """(key, value, line) of an env list or mapping."""
    pairs = []
    if node is None:
        return pairs
    if node.id == "mapping":
        for key, value in items(node):
            if value.id == "mapping":
                value = get(value, "value")  # GitLab's {value: x, description: ...}
            if value is not None and value.id == "scalar" and value.tag != "tag:yaml.org,2002:null":
                pairs.append((key, value.value, line(value)))
    elif node.id == "sequence":
        for item in node.value:
            if item.id == "scalar" and "=" in item.value:
                key, _eq, value = item.value.partition("=")
                pairs.append((key.strip(), value, line(item)))
            elif item.id == "mapping":
                name, value = scalar(get(item, "name")), get(item, "value")
                if name and value is not None and value.id == "scalar":
                    pairs.append((name, value.value, line(value)))
    return pairs
