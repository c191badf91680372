# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Structured facts about a configuration: sockets, upstreams, targets, files."""

from __future__ import annotations


def _where(directive):
    return {"file": directive.file, "line": directive.line}


def _endpoint(endpoint):
    data = endpoint.as_dict()
    data["socket"] = endpoint.socket
    data["display"] = endpoint.display
    return data


def model_facts(model):
    listens = []
    for listen in model.listens():
        item = _endpoint(listen.endpoint)
        item.update(_where(listen.directive))
        item.update({
            "protocol": listen.server.protocol, "server_names": list(listen.server.names),
            "ssl": listen.ssl, "default_server": listen.default_server, "http2": listen.http2,
            "implicit": listen.implicit, "parameters": list(listen.params),
        })
        listens.append(item)
    upstreams = []
    for upstream in model.all_upstreams():
        servers = []
        for directive, endpoint in upstream.servers:
            item = _endpoint(endpoint)
            item.update(_where(directive))
            item["parameters"] = list(directive.args[1:])
            servers.append(item)
        entry = {"name": upstream.name, "protocol": upstream.protocol, "servers": servers}
        entry.update(_where(upstream.directive))
        upstreams.append(entry)
    targets = []
    for target in model.passes:
        item = _endpoint(target.endpoint)
        item.update(_where(target.directive))
        item.update({"directive": target.directive.name, "protocol": target.protocol,
                     "context": target.directive.context,
                     "upstream": target.upstream.name if target.upstream else None})
        targets.append(item)
    return {
        "main_file": model.config.main_file,
        "files": list(model.config.files),
        "listen": listens,
        "upstreams": upstreams,
        "pass_targets": targets,
        "resolvers": [dict(_endpoint(e), **_where(d)) for d, e in model.resolvers],
        "load_problems": [{"rule": p.rule, "message": p.message, "file": p.file, "line": p.line}
                          for p in model.config.problems],
    }


def group_by(items, key):
    """Items in a dict of lists, keyed by ``key(item)``, in their order."""
    grouped = {}
    for item in items:
        grouped.setdefault(key(item), []).append(item)
    return grouped


def _place(target):
    return "%s in %s" % (target["directive"], target["context"])


def semantic_diff(old, new):
    """What changed between two config_info results, one line per change."""
    lines = []
    old_listen = {(x["display"], tuple(x["server_names"])) for x in old.get("listen", [])}
    new_listen = {(x["display"], tuple(x["server_names"])) for x in new.get("listen", [])}
    for display, names in sorted(old_listen - new_listen):
        lines.append("listen removed: %s (%s)" % (display, " ".join(names) or "no name"))
    for display, names in sorted(new_listen - old_listen):
        lines.append("listen added: %s (%s)" % (display, " ".join(names) or "no name"))
    old_up = {u["name"]: [s["value"] for s in u["servers"]] for u in old.get("upstreams", [])}
    new_up = {u["name"]: [s["value"] for s in u["servers"]] for u in new.get("upstreams", [])}
    for name in sorted(set(old_up) | set(new_up)):
        before, after = old_up.get(name), new_up.get(name)
        if before is None:
            lines.append("upstream %s added: %s" % (name, ", ".join(after) or "no servers"))
        elif after is None:
            lines.append("upstream %s removed" % name)
        elif before != after:
            lines.append("upstream %s: %s \u2192 %s" % (name, ", ".join(before) or "none", ", ".join(after) or "none"))
    old_pass = {k: [t["value"] for t in v] for k, v in group_by(old.get("pass_targets", []), _place).items()}
    new_pass = {k: [t["value"] for t in v] for k, v in group_by(new.get("pass_targets", []), _place).items()}
    for where in sorted(set(old_pass) | set(new_pass)):
        before, after = old_pass.get(where), new_pass.get(where)
        if before != after:
            lines.append("%s: %s \u2192 %s" % (where, ", ".join(before or ["none"]), ", ".join(after or ["none"])))
    return lines
