# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-lint rule preflight-nginx-config: the engine's address rules on nginx files in the repo."""

from __future__ import annotations

import os
import re
import sys

from ansiblelint.rules import AnsibleLintRule

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import preflight_engine  # a sibling module: ansible-lint imports rule files by name
finally:
    sys.path.pop(0)

engine = preflight_engine.load("engine")

# Rules that judge one file on its own: the others need the whole tree (upstreams defined elsewhere).
FILE_RULES = ["unspecified-connect-address", "invalid-port", "malformed-address", "non-canonical-address",
              "invalid-listen-parameter", "syntax-error", "proxy-loop"]
PLACEHOLDER = "$preflight_template_value"
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def is_nginx_file(path):
    name = os.path.basename(path)
    if name.endswith((".conf", ".conf.j2")) or name == "nginx.conf.j2":
        return True
    parts = os.path.normpath(path).split(os.sep)[:-1]
    return any(part == "nginx" or part.startswith("nginx-") for part in parts) and \
        not name.endswith((".yml", ".yaml", ".json", ".md", ".py"))


def without_jinja(text):
    """Jinja expressions become an nginx variable (a value known only later); tags vanish."""
    def replace(match):
        chunk = match.group(0)
        filler = PLACEHOLDER if chunk.startswith("{{") else ""
        return filler + "\n" * chunk.count("\n")
    return _JINJA.sub(replace, text)


class PreflightNginxConfigRule(AnsibleLintRule):
    """nginx configuration with addresses nginx -t lets through."""

    id = "preflight-nginx-config"
    shortdesc = "nginx configuration with addresses nginx -t lets through"
    description = (
        "nginx configuration files and templates kept in the repository (*.conf, *.conf.j2, files "
        "under nginx/ folders) checked with the preflight.nginx engine: unspecified connect addresses "
        "(server 0:80), bad ports, malformed addresses, short numeric forms, unknown listen parameters, "
        "proxy loops and syntax errors. Jinja expressions count as values known only later."
    )
    severity = "HIGH"
    tags = ["preflight", "networking"]
    version_changed = "0.1.0"
    link = "https://docs.ansible.com/projects/lint/custom-rules/"

    def matchlines(self, file):
        path = str(file.path)
        if not is_nginx_file(path):
            return []
        try:
            text = file.content
        except (OSError, UnicodeDecodeError):
            return []
        report = engine.check_text(without_jinja(text), filename=path, select=FILE_RULES)
        errors = []
        for finding in report.findings:
            if PLACEHOLDER in finding.message:
                continue
            message = finding.message + (" (%s)" % finding.hint if finding.hint else "")
            errors.append(self.create_matcherror(message=message, lineno=finding.line or 1, filename=file,
                                                 tag="%s[%s]" % (self.id, finding.rule)))
        return errors
