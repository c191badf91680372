# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""preflight.nginx.template: ansible.builtin.template that checks the rendered file on the controller first.

The real ``ansible.legacy.template`` action renders and copies. It hands the rendered file to the
``ansible.legacy.copy`` action through its plugin loader; the loader it is given here returns that copy
action wrapped, so the engine reads the rendered file first and a failing one is never copied. The
target is not contacted before that: nothing needs to be installed there.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from ansible import constants as C
from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from jinja2 import defaults as jinja

from ansible_collections.preflight.nginx.plugins.module_utils import engine, nginx_config
from ansible_collections.preflight.nginx.plugins.module_utils.findings import at_least, one_line
from ansible_collections.preflight.nginx.plugins.plugin_utils import template_check

CHECK_OPTIONS = dict(
    context=dict(type="str", default="auto", choices=["auto"] + list(nginx_config.CONTEXTS)),
    select=dict(type="list", elements="str", default=[]),
    ignore=dict(type="list", elements="str", default=[]),
    fail_on=dict(type="str", default="error", choices=["error", "warning", "info", "never"]),
    nginx_version=dict(type="str"),
    config=dict(type="path"),
    root=dict(type="path"),
)


class _CheckingLoaders:
    """Ansible's plugin loaders, except that the copy action comes wrapped in _CheckedCopy."""

    def __init__(self, loaders, check):
        self._loaders = loaders
        self.action_loader = _CheckingActionLoader(loaders.action_loader, check)

    def __getattr__(self, name):
        return getattr(self._loaders, name)


class _CheckingActionLoader:
    def __init__(self, loader, check):
        self._loader = loader
        self._check = check

    def get(self, name, *args, **kwargs):
        action = self._loader.get(name, *args, **kwargs)
        return _CheckedCopy(action, self._check) if name == "ansible.legacy.copy" else action

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _CheckedCopy:
    def __init__(self, action, check):
        self._action = action
        self._check = check

    def run(self, tmp=None, task_vars=None):
        # src is the rendered file, in the template action's local scratch folder for the copy's time.
        refused = self._check(self._action._task.args["src"])
        return refused if refused is not None else self._action.run(task_vars=task_vars)


class ActionModule(ActionBase):
    # The copy action makes the target's temporary folder when it runs, after the check; none before.
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        args = dict(self._task.args)
        ours = {name: args.pop(name) for name in CHECK_OPTIONS if name in args}
        validation = ArgumentSpecValidator(CHECK_OPTIONS).validate(ours)
        if validation.error_messages:
            raise AnsibleActionFail(validation.errors.msg)
        options = validation.validated_parameters
        try:
            options["engine"] = engine.Options(select=options["select"], ignore=options["ignore"],
                                               nginx_version=options["nginx_version"])
        except engine.OptionError as exc:
            raise AnsibleActionFail("%s: %s" % (exc.option, exc)) from exc
        for name in ("config", "root"):
            if options[name] is not None:
                try:
                    options[name] = self._find_needle("files", options[name])
                except AnsibleError as exc:
                    raise AnsibleActionFail("%s: %s" % (name, exc.message)) from exc
        if options["context"] != "auto" and (options["config"] or options["root"]):
            raise AnsibleActionFail("context: with config or root, the tree says where dest stands; "
                                    "drop context")
        self._checked = self._note = None
        scratch = tempfile.mkdtemp(prefix="preflight-template-", dir=C.DEFAULT_LOCAL_TMP)
        try:
            task = self._task.copy()
            task.args = args
            template = self._shared_loader_obj.action_loader.get(
                "ansible.legacy.template", task=task, connection=self._connection, play_context=self._play_context,
                loader=self._loader, templar=self._templar, shared_loader_obj=self._shared_loader_obj)
            template._shared_loader_obj = _CheckingLoaders(
                self._shared_loader_obj, lambda rendered: self._check(rendered, args, options, scratch))
            # Rendering needs no temporary folder on the target; the copy action makes its own.
            template.TRANSFERS_FILES = False
            result.update(template.run(task_vars=task_vars))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if self._checked is None and not result.get("failed"):
            raise AnsibleActionFail("ansible.legacy.template did not hand the rendered file over to be checked "
                                    "(a change in ansible-core?)")
        if self._checked is not None:
            result.update(self._checked)
        if self._note:
            result.setdefault("warnings", []).append(self._note)
        return result

    def _check(self, rendered, args, options, scratch):
        """Check the rendered file; the failed result when it must not be copied, else None."""
        dest = str(args["dest"])
        if dest.endswith("/"):
            dest += os.path.basename(str(args["src"]))  # copy puts the file there under the template's name
        try:
            report, note = template_check.check_rendered(
                rendered, dest, options["engine"], config=options["config"], root=options["root"], scratch=scratch,
                context=options["context"])
        except (engine.ConfigLoadError, ValueError) as exc:
            raise AnsibleActionFail(str(exc)) from exc
        findings = [finding.as_dict() for finding in report.findings]
        origin = self._template_lines(args, rendered)
        for finding in findings:
            if finding["file"] == dest and finding["line"] in origin:
                finding["template_line"] = origin[finding["line"]]
        self._checked = {"findings": findings, "counts": report.counts()}
        self._note = note
        fail_on = options["fail_on"]
        failing = [f for f in findings if fail_on != "never" and at_least(f["severity"], fail_on)]
        if not failing:
            return None
        lines = ["%s rendered for %s has %d finding%s at or above %s; nothing was written on the host:" % (
            args["src"], dest, len(failing), "" if len(failing) == 1 else "s", fail_on)]
        for finding in failing:
            if "template_line" in finding:
                message = "%s (template line %d)" % (finding["message"], finding["template_line"])
                finding = dict(finding, message=message)
            lines.append(one_line(finding, hint=True))
        return dict(self._checked, failed=True, changed=False, msg="\n".join(lines), dest=dest,
                    src=str(args["src"]))

    def _template_lines(self, args, rendered):
        """{rendered line: template line}, as far as template_check can tell."""
        try:
            with open(self._find_needle("templates", args["src"]), encoding="utf-8") as handle:
                template = handle.read()
            with open(rendered, encoding=args.get("output_encoding") or "utf-8", errors="replace") as handle:
                text = handle.read()
        except (OSError, LookupError, AnsibleActionFail):
            return {}
        delimiters = [args.get(name) or default for name, default in (
            ("variable_start_string", jinja.VARIABLE_START_STRING), ("variable_end_string", jinja.VARIABLE_END_STRING),
            ("block_start_string", jinja.BLOCK_START_STRING), ("block_end_string", jinja.BLOCK_END_STRING),
            ("comment_start_string", jinja.COMMENT_START_STRING), ("comment_end_string", jinja.COMMENT_END_STRING))]
        return template_check.template_lines(template, text, delimiters)
