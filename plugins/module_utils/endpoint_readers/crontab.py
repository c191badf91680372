# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Crontabs: /etc/crontab and /etc/cron.d/* (with a user field), user crontabs (without).

``NAME=value`` lines set the environment of the jobs below them (and are judged by
name, as env files are). A job's command ends at the first unescaped ``%``: the
rest is its standard input.
"""

from __future__ import annotations

import re

from ansible_collections.preflight.nginx.plugins.module_utils import commands
from ansible_collections.preflight.nginx.plugins.module_utils.endpoint_readers import base, shell

KIND = "crontab"
_FIELD = r"[0-9*/,\-A-Za-z]+"
_SCHEDULE = re.compile(r"^\s*(@(?:reboot|yearly|annually|monthly|weekly|daily|midnight|hourly)|(?:%s\s+){4}%s)\s+(.*)$"
                       % (_FIELD, _FIELD))
_ENV = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")
_USER = re.compile(r"^[a-z_][a-z0-9_.-]*\$?$")


def claims(path, text):
    name = path.rsplit("/", 1)[-1]
    if name in ("crontab", "root.crontab") or name.endswith((".cron", ".crontab")):
        return True
    if "/cron.d/" in path or "/cron/crontabs/" in path or (path.endswith("/cron/" + name) and "/spool/" in path):
        return True
    jobs = 0
    for line in text.splitlines()[:200]:
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or _ENV.match(stripped):
            continue
        if not _SCHEDULE.match(stripped):
            return False
        jobs += 1
    return jobs > 0


def has_user_field(path):
    return path.endswith("/etc/crontab") or path == "crontab" or "/cron.d/" in path


def read(source):
    uses = []
    variables = dict(source.variables)
    system = has_user_field(source.path)
    for number, line in enumerate(source.text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _SCHEDULE.match(stripped)
        if not match:
            env = _ENV.match(stripped)
            if env:
                value = shell._unquote(env.group(2).strip())
                variables[env.group(1)] = value
                use = base.variable_use(source, number, env.group(1), value, "cron environment")
                if use is not None:
                    uses.append(use)
            continue
        command = _job_command(match.group(2))
        words = command.split(None, 1)
        if words and (system or _looks_like_user(words)):
            command = words[1] if len(words) > 1 else ""
        uses.extend(shell.read_shell(source, command, number, dict(variables), where="cron job"))
    return uses


def _looks_like_user(words):
    """A crontab of unknown kind whose jobs start with a user name (root curl ...)."""
    if len(words) < 2 or not (_USER.match(words[0]) or re.match(r"^\$\{[A-Za-z_]\w*\}$", words[0])):
        return False
    first, second = words[0], words[1].split(None, 1)[0].rsplit("/", 1)[-1]
    known = commands.NETWORK_TOOLS | commands.SHELLS
    return first not in known and second in known


def _job_command(text):
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] == "%":
            out.append("%")
            index += 2
            continue
        if char == "%":
            break
        out.append(char)
        index += 1
    return "".join(out)
