# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Env files: .env, *.env, systemd EnvironmentFile=, /etc/default/*. Endpoint-named keys are judged.

The file is parsed by env_endpoints (the parser env_check uses); a value that is
empty is set elsewhere or off, and not judged. /etc/default files are sourced by
shells, so one that is not plain KEY=value is read as a shell script.
"""

from __future__ import annotations

import re

from ansible_collections.preflight.nginx.plugins.module_utils import env_endpoints
from ansible_collections.preflight.nginx.plugins.module_utils.endpoint_readers import base, shell

KIND = "env"
_LINE = re.compile(r"^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_.]*\s*=")


def claims(path, text):
    name = path.rsplit("/", 1)[-1]
    by_name = name == ".env" or name.startswith(".env.") or name.endswith(".env") or "/etc/default/" in path
    if not by_name:
        return False
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith(("#", ";"))]
    return all(_LINE.match(line) or line.startswith((" ", "\t")) for line in lines[:50]) or \
        "/etc/default/" in path


def read(source):
    try:
        entries = env_endpoints.parse_env_text(source.text, source.path)
    except env_endpoints.EnvFileError as exc:
        if "/etc/default/" in source.path:
            return shell.read(source)  # a shell fragment (if/then, functions): read it as one
        raise base.ReadError(exc.message, exc.line) from exc
    uses = []
    variables = dict(source.variables)
    for key, value, line in entries:
        value = base.expand_variables(value, variables)
        variables[key] = value
        use = base.variable_use(source, line, key, value, key)
        if use is not None:
            uses.append(use)
    return uses


def variables_of(text, path):
    """The variables an env file sets (for the files that name it); raises base.ReadError."""
    try:
        entries = env_endpoints.parse_env_text(text, path)
    except env_endpoints.EnvFileError as exc:
        raise base.ReadError(exc.message, exc.line) from exc
    return {key: value for key, value, _line in entries}
