# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dockerfiles: HEALTHCHECK, RUN, CMD, ENTRYPOINT (shell or exec form), ENV and ARG.

ENV and ARG values feed the instructions below them (an ARG's default is what a
build without --build-arg uses); endpoint-named ENV keys are judged by name.
``RUN <<EOF`` heredocs are read as shell text.
"""

from __future__ import annotations

import json
import os
import re

from ansible_collections.preflight.nginx.plugins.module_utils.endpoint_readers import base, shell

KIND = "dockerfile"
_NAME = re.compile(r"^(Dockerfile|Containerfile)([.-].*)?$|.*\.(dockerfile|Dockerfile|containerfile)$")
_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)(?:\s+(.*))?$", re.S)
_KNOWN = {"FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
          "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
_HEREDOC = re.compile(r"<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?")
_HEALTH_OPTION = re.compile(r"^--[a-z-]+=\S+\s*")


def claims(path, text):
    if _NAME.match(os.path.basename(path)):
        return True
    for line in text.splitlines()[:40]:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return re.match(r"(?i)^(FROM|ARG)\s+\S", stripped) is not None and re.search(
                r"(?im)^\s*(RUN|CMD|ENTRYPOINT|COPY)\s", text) is not None
    return False


def _instructions(text):
    """(line, INSTRUCTION, arguments, physical lines, heredoc bodies) with continuations joined."""
    escape = "\\"
    match = re.match(r"^\s*#\s*escape\s*=\s*(\S)", text)
    if match:
        escape = match.group(1)
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        number = index + 1
        line = lines[index]
        index += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [line]
        while line.rstrip().endswith(escape) and index < len(lines):
            following = lines[index]
            index += 1
            if following.lstrip().startswith("#"):
                continue  # comment lines inside a continued instruction are dropped
            line = line.rstrip()[:-1] + " " + following.strip()
            parts.append(following)
        bodies = []
        for heredoc in _HEREDOC.finditer(line):
            start = index
            while index < len(lines) and lines[index].strip() != heredoc.group(1):
                index += 1
            bodies.append((start + 1, "\n".join(lines[start:index])))
            index += 1
        match = _INSTRUCTION.match(line)
        if match:
            yield number, match.group(1).upper(), (match.group(2) or "").strip(), parts, bodies


def read(source):
    uses = []
    variables = dict(source.variables)
    for number, instruction, arguments, parts, bodies in _instructions(source.text):
        if instruction == "FROM":
            variables = {k: v for k, v in variables.items() if k in source.variables}  # a new stage
        elif instruction in ("ENV", "ARG"):
            for key, value in _pairs(arguments, instruction):
                if value is None:
                    continue  # ARG NAME without a default: set by --build-arg, unknown here
                value = base.expand_variables(value, variables)
                variables[key] = value
                if instruction == "ENV":
                    use = base.variable_use(source, number, key, value, "ENV %s" % key)
                    if use is not None:
                        uses.append(use)
        elif instruction in ("RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK"):
            where = instruction
            if instruction == "HEALTHCHECK":
                while _HEALTH_OPTION.match(arguments):
                    arguments = _HEALTH_OPTION.sub("", arguments, count=1)
                if not arguments.upper().startswith("CMD"):
                    continue  # HEALTHCHECK NONE
                arguments = arguments[3:].strip()
            while instruction == "RUN" and arguments.startswith("--"):
                arguments = arguments.split(None, 1)[1] if " " in arguments else ""  # --mount=..., --network=...
            uses.extend(_command(source, number, arguments, parts, variables, where))
            for first, body in bodies:
                uses.extend(shell.read_shell(source, body, first, dict(variables), where, judge_exports=False))
    return uses


def _command(source, number, arguments, parts, variables, where):
    if arguments.startswith("["):
        try:
            words = json.loads(arguments)
        except ValueError:
            words = None
        if isinstance(words, list) and all(isinstance(w, str) for w in words):
            found = base.command_uses(source, number, words, variables, where)
            return base.at_physical_lines(found, number, parts)
    found = base.command_uses(source, number, arguments, variables, where)
    return base.at_physical_lines(found, number, parts)


def _pairs(arguments, instruction):
    """ENV K=V K2="V 2", the legacy ENV K V, ARG K[=V]."""
    import shlex
    try:
        words = shlex.split(arguments)
    except ValueError:
        words = arguments.split()
    if not words:
        return []
    if "=" not in words[0]:
        if instruction == "ENV":
            return [(words[0], arguments.split(None, 1)[1] if len(words) > 1 else "")]
        return [(word, None) for word in words]
    return [tuple(word.split("=", 1)) for word in words if "=" in word]
