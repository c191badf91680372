# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs preflight.nginx.nginx_deploy: files are rendered on the controller, in one pass, and the
controller's crossplane is shipped along (see plugin_utils/engine_action)."""

from __future__ import annotations

import base64
import json

from ansible.errors import AnsibleActionFail

from ansible_collections.preflight.nginx.plugins.plugin_utils.engine_action import EngineAction


class _ReadOnlyVariables(dict):
    """Task variables for the template lookup, which deep-copies them for every file it renders.

    The copy would include the files list itself (2,000 items for 2,000 files), making rendering
    quadratic; templates only read variables, so a shallow copy serves the same.
    """

    def __deepcopy__(self, memo):
        return dict(self)


class ActionModule(EngineAction):
    def module_args(self, task_vars):
        args = dict(self._task.args)
        variables = _ReadOnlyVariables(task_vars)
        files = args.get("files")
        if not isinstance(files, list):
            return args  # the module says what is wrong with it
        lookups = {}
        rendered = []
        for number, item in enumerate(files, 1):
            if not isinstance(item, dict) or "src" not in item or "content" in item:
                rendered.append(item)
                continue
            entry = dict(item)
            src = str(entry.pop("src"))
            template = entry.pop("template", None)
            is_template = src.endswith(".j2") if template is None else bool(template)
            try:
                if is_template:
                    if "template" not in lookups:
                        lookups["template"] = self._shared_loader_obj.lookup_loader.get(
                            "ansible.builtin.template", loader=self._loader, templar=self._templar)
                    entry["content"] = lookups["template"].run([src], variables=variables)[0]
                else:
                    with open(self._find_needle("files", src), "rb") as handle:
                        data = handle.read()
                    try:
                        entry["content"] = data.decode("utf-8")
                    except UnicodeDecodeError:  # Latin-1 and the like: nginx takes bytes as they are
                        entry["content_base64"] = base64.b64encode(data).decode("ascii")
            except Exception as exc:
                raise AnsibleActionFail("files[%d] (%s): cannot render %s: %s"
                                        % (number, entry.get("dest", "?"), src, exc)) from exc
            rendered.append(entry)
        args["files"] = rendered
        return args

    def payload(self, args):
        """The files' contents travel in a file of their own: never in the module's arguments, so never
        in the invocation Ansible prints at -vvv nor in the target's log (ansible.builtin.copy does the same)."""
        files = args.get("files")
        if not isinstance(files, list):
            return args, None
        contents = []
        kept = []
        for item in files:
            if isinstance(item, dict) and ("content" in item or "content_base64" in item):
                item = dict(item)
                contents.append({key: item.pop(key) for key in ("content", "content_base64") if key in item})
            else:
                contents.append(None)
            kept.append(item)
        if not any(contents):
            return args, None
        return dict(args, files=kept), json.dumps(contents).encode("utf-8")
