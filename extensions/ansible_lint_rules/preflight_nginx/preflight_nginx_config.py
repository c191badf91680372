# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-lint rule preflight-nginx-config: the engine's address rules on nginx files in the repo.

A file is judged when its content reads as nginx (statements nginx can parse, directives nginx
knows), whatever its name: templates such as vhost.j2 or http/upstream.j2 are nginx, while ntp,
mongod, memcached, php-fpm, Apache, systemd and YAML files named *.conf or *.conf.j2 are not.
"""

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

try:
    engine = preflight_engine.load("engine")
    nginx_config = preflight_engine.load("nginx_config")
    # Rules whose findings hold in any branch of a template, the file read alone (scope "directive"):
    # a Jinja file shows every branch at once, and the rest of the tree is elsewhere. Infos are advice.
    TEMPLATE_RULES = [rule.id for rule in preflight_engine.load("rules").RULES.values()
                      if rule.scope == preflight_engine.load("findings").DIRECTIVE and rule.severity != "info"]
    ENGINE_ERROR = None if nginx_config.HAS_CROSSPLANE else (
        "the Python library crossplane is not installed where ansible-lint runs: pip install crossplane "
        "(or pip install preflight-nginx, which brings it)")
except ImportError as exc:  # a missing engine must fail the run, not skip the rule
    engine = nginx_config = None
    TEMPLATE_RULES = []
    ENGINE_ERROR = "the preflight.nginx engine cannot be imported (%s): pip install preflight-nginx" % exc

PLACEHOLDER = "$preflight_template_value"
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_NOT_NGINX = (".yml", ".yaml", ".json", ".md", ".py", ".sh", ".ini", ".service", ".timer", ".toml", ".txt")


def may_be_nginx(path):
    """Files worth reading: nginx-ish names, templates of any name, anything under an nginx folder."""
    name = os.path.basename(path)
    if name.endswith((".conf", ".j2", ".template", ".nginx")):
        return not name.endswith(tuple(ext + ".j2" for ext in _NOT_NGINX))
    parts = os.path.normpath(path).split(os.sep)[:-1]
    return any(part == "nginx" or part.startswith("nginx-") or part == "templates" for part in parts) and \
        not name.endswith(_NOT_NGINX)


def without_jinja(text):
    """Jinja expressions become an nginx variable (a value known only later); tags vanish."""
    def replace(match):
        chunk = match.group(0)
        filler = PLACEHOLDER if chunk.startswith("{{") else ""
        return filler + "\n" * chunk.count("\n")
    return _JINJA.sub(replace, text)


class PreflightNginxConfigRule(preflight_engine.KeptUnderProfiles, AnsibleLintRule):
    """nginx configuration with addresses nginx -t lets through."""

    id = "preflight-nginx-config"
    shortdesc = "nginx configuration with addresses nginx -t lets through"
    description = (
        "nginx configuration files and templates kept in the repository, recognised by their content "
        "(*.conf, *.j2 of any name, *.template, files under nginx/ folders that read as nginx), checked with "
        "the preflight.nginx engine's rules that judge one directive on its own (scope \"directive\"): "
        "unspecified connect addresses (server 0:80), bad or missing ports, malformed addresses, short "
        "numeric forms, unknown listen parameters, proxy loops and syntax errors. "
        "Jinja expressions count as values known only later. Without crossplane the rule fails the run."
    )
    severity = "HIGH"
    tags = ["preflight", "networking"]
    version_changed = "0.2.0"
    link = "https://github.com/preflight-nginx/preflight.nginx/blob/main/docs/lint/preflight-nginx-config.md"

    def matchlines(self, file):
        path = str(file.path)
        if not may_be_nginx(path):
            return []
        if ENGINE_ERROR is not None:
            return [self.create_matcherror(message=ENGINE_ERROR, lineno=1, filename=file,
                                           tag="%s[dependency]" % self.id)]
        try:
            text = file.content
        except (OSError, UnicodeDecodeError):
            return []
        report = engine.check_text(without_jinja(text), filename=path, select=TEMPLATE_RULES, context="auto")
        if not nginx_config.reads_as_nginx(report.config):
            return []  # an ntp, php-fpm, Apache or YAML file that happens to be named like nginx's
        errors = []
        for finding in report.findings:
            if PLACEHOLDER in finding.message:
                continue
            message = finding.message + (" (%s)" % finding.hint if finding.hint else "")
            errors.append(self.create_matcherror(message=message, lineno=finding.line or 1, filename=file,
                                                 tag="%s[%s]" % (self.id, finding.rule)))
        return errors
