# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module options that several modules share, written once.

``SOURCE_SPEC`` (documented by the doc fragment ``preflight.nginx.config_source``)
says which configuration a module reads; ``source_from`` turns those options
into the engine's Source, so validate, config_info and probe_backends read
their input the same way. Errors are ValueError naming the option.
"""

from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils import engine, env_endpoints
from ansible_collections.preflight.nginx.plugins.module_utils.source import Source

SOURCE_SPEC = dict(
    path=dict(type="path", default="/etc/nginx/nginx.conf"),
    prefix=dict(type="path"),
    context=dict(type="str", default="auto", choices=["auto", "main", "http", "stream", "server", "location"]),
    root=dict(type="path"),
    source=dict(type="str", default="files", choices=["files", "nginx_dump"]),
    template_variables=dict(type="dict"),
    template_env_files=dict(type="list", elements="path", default=[]),
    template_env_filter=dict(type="str"),
    nginx_binary=dict(type="str", default="nginx"),
)
SOURCE_EXCLUSIVE = [("root", "source"), ("source", "template_variables"), ("source", "template_env_files")]

# The engine's option names, as the modules call them: the modules' ``rules`` are the rules to skip.
_MODULE_NAMES = {"select": "rules", "ignore": "rules", "nginx_version": "nginx_version"}


class OptionError(ValueError):
    """A module option the engine refuses; ``option`` is the module's name for it."""

    def __init__(self, option, message):
        ValueError.__init__(self, "%s: %s" % (option, message))
        self.option = option


def is_template(params):
    return params.get("template_variables") is not None or bool(params.get("template_env_files"))


def source_from(params):
    """The Source the SOURCE_SPEC options describe; runs ``nginx -T`` for ``source=nginx_dump``.

    Raises OptionError for a bad option, ConfigLoadError when nginx -T cannot run.
    """
    if params["source"] == "nginx_dump":
        return Source.dump(engine.nginx_dump(params["path"], params["nginx_binary"]), params["path"])
    variables = None
    if is_template(params):
        try:
            variables = env_endpoints.read_env_files(params["template_env_files"])
        except env_endpoints.EnvFileError as exc:
            raise OptionError("template_env_files", str(exc)) from exc
        variables.update(params["template_variables"] or {})
    # The same reading of a path as the command line's: a directory holding nginx.conf, a saved
    # nginx -T output, a template, a file.
    return Source.for_path(params["path"], variables=variables, name_filter=params["template_env_filter"],
                           root=params["root"], context=params["context"], prefix=params["prefix"])


def options_from(params, **choices):
    """The engine's Options from a module's ``rules`` (ids to skip) and ``nginx_version`` (default: ask
    the host's nginx -v); ``choices`` are the other Options (resolve_hosts, nginx_test)."""
    version = params.get("nginx_version") or engine.nginx_version(params.get("nginx_binary") or "nginx")
    try:
        return engine.Options(ignore=params.get("rules"), nginx_version=version,
                              nginx_binary=params.get("nginx_binary"), **choices)
    except engine.OptionError as exc:
        raise OptionError(_MODULE_NAMES.get(exc.option, exc.option), str(exc)) from exc
