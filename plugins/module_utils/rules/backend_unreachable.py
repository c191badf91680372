# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reported by the backend probe (backends.probe_findings), not by a check of the model: it needs
a connection to each backend, which only the host that runs nginx can make."""
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import ERROR, TREE, Rule

RULE = Rule(
    id="backend-unreachable",
    severity=ERROR,
    scope=TREE,
    summary="A backend (an upstream server, a *_pass target) refuses connections from this host.",
    why="""
        The gate connects to every backend of the new configuration before nginx is
        reloaded onto it (probe_backends, gate_probe_backends). When every server of an
        upstream that traffic uses refuses, the switch would send all of that traffic to
        nothing, the "connection refused" of the incident: that is an error and blocks the
        deploy. When only some servers of a group refuse, it is a partial outage, reported
        with the severity asked for (gate_probe_severity, a warning by default) and the
        deploy goes on. The probe runs on the host, at deploy time; a check of the files
        alone never reports it.
    """,
    bad="""
        events {}
        http {
            upstream app {
                server 127.0.0.1:1;  # <-
            }
            server {
                listen 127.0.0.1:8080;
                location / {
                    proxy_pass http://app;
                }
            }
        }
    """,
    good="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080;
                location / {
                    return 503 "the shop's backend is not running yet\\n";
                }
            }
        }
    """,
    needs_probe=True,
)
