# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Probe the backends of a configuration from the host.

The probe connects from the host itself to every literal upstream server and
*_pass target, so "connection refused" shows up before the reload, with the
file and line that names the dead address.
"""

from __future__ import annotations

import socket

from ansible_collections.preflight.nginx.plugins.module_utils.facts import group_by
from ansible_collections.preflight.nginx.plugins.module_utils.findings import Finding
from ansible_collections.preflight.nginx.plugins.module_utils.model import Model

BACKEND_UNREACHABLE = "backend-unreachable"


def targets(model):
    """(directive, endpoint, what, group, used) for every address nginx will connect to.

    ``group`` names the set of servers that stand in for each other (an upstream, or a literal
    target on its own); ``used`` says whether traffic is sent there.
    """
    used = {id(target.upstream) for target in model.passes if target.upstream is not None}
    for target in model.passes:
        for endpoint, _assignments in target.expansions or ():
            if endpoint.host and endpoint.kind == "name":
                used.update(id(u) for u in model.upstreams.get((target.protocol, endpoint.host.lower()), ()))
    for upstream in model.all_upstreams():
        for directive, endpoint in upstream.servers:
            if "backup" not in directive.args[1:] and "down" not in directive.args[1:]:
                yield (directive, endpoint, "upstream %s" % upstream.name, "upstream %s" % upstream.name,
                       id(upstream) in used)
    for target in model.passes:
        if target.upstream is None:
            where = "%s:%s" % (target.directive.file, target.directive.line)
            yield target.directive, target.endpoint, target.directive.name, where, True


def connect(endpoint, timeout):
    """None when a TCP (or unix) connection succeeds, else the reason in plain words."""
    if endpoint.kind == "unix":
        family, address = socket.AF_UNIX, endpoint.unix_path
    else:
        try:
            infos = socket.getaddrinfo(endpoint.address or endpoint.host, endpoint.port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            return "cannot resolve %s: %s" % (endpoint.host, exc)
        family, address = infos[0][0], infos[0][4]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except ConnectionRefusedError:
        return "connection refused to %s" % endpoint.display
    except socket.timeout:
        return "no answer from %s within %gs" % (endpoint.display, timeout)
    except OSError as exc:
        return "cannot connect to %s: %s" % (endpoint.display, exc.strerror or exc)
    finally:
        sock.close()
    return None


def probe(config, timeout=1.0):
    """Connect to every literal backend once; returns one result per place."""
    model = Model(config)
    results = []
    cache = {}
    for directive, endpoint, what, group, used in targets(model):
        if endpoint.problems or endpoint.kind not in ("ipv4", "ipv6", "name", "unix") or \
                (endpoint.kind != "unix" and endpoint.port is None):
            continue
        key = endpoint.socket
        if key not in cache:
            cache[key] = connect(endpoint, timeout)
        results.append({"target": endpoint.display, "value": endpoint.raw, "what": what, "group": group,
                        "used": used, "file": directive.file, "line": directive.line,
                        "ok": cache[key] is None, "error": cache[key]})
    return results


def probe_findings(probes, severity="warning"):
    """Unreachable backends as findings, with the file and line that name them.

    When every server of a group that traffic uses is unreachable, the switch would send all of
    that traffic to nothing (the incident's "connection refused"): that is an error whatever
    ``severity`` says. A partial outage is reported with ``severity``.
    """
    down_groups = {group for group, members in group_by(probes, lambda p: p["group"]).items()
                   if members[0]["used"] and not any(member["ok"] for member in members)}
    findings = []
    for p in probes:
        if p["ok"]:
            continue
        if p["group"] in down_groups:
            findings.append(Finding(
                BACKEND_UNREACHABLE, "error", "%s %s: %s, and no other server of it answers: every request "
                "sent there would fail" % (p["what"], p["value"], p["error"]), p["file"], p["line"], "", "",
                "start the backend before deploying, or point the configuration at one that runs"))
        else:
            findings.append(Finding(BACKEND_UNREACHABLE, severity, "%s %s: %s" % (p["what"], p["value"], p["error"]),
                                    p["file"], p["line"], "", "", "start the backend, or point the configuration at "
                                    "one that runs"))
    return findings


def probe_into(report, severity, timeout):
    """Probe the report's configuration and add the unreachable backends to its findings."""
    probes = probe(report.config, timeout)
    report.add(probe_findings(probes, severity))
    return probes
