# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module of this collection on a target that has nothing but Python, nginx and curl.

The modules parse nginx configuration with the Python library crossplane. Instead of asking every
host to install it, the action plugin takes the crossplane installed on the controller, packs it
into a zip once per controller process, copies it into the task's temporary directory on the target
and puts it on the module's PYTHONPATH for that one run. Nothing is installed and nothing stays.
"""

from __future__ import annotations

import io
import os
import zipfile

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

_ZIP_NAME = "preflight-nginx-libraries.zip"
_packed = {}


def library_zip():
    """The controller's crossplane package as zip bytes, made once per process (in memory: Ansible's
    forked workers end without cleaning up files)."""
    if "data" not in _packed:
        try:
            import crossplane
        except ImportError as exc:
            raise AnsibleActionFail(
                "preflight.nginx needs the Python library crossplane on the controller, which it ships to the "
                "targets for the run: pip install crossplane (%s)" % exc) from exc
        package = os.path.dirname(os.path.abspath(crossplane.__file__))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for root, _dirs, files in os.walk(package):
                for name in sorted(files):
                    if name.endswith(".py"):
                        full = os.path.join(root, name)
                        archive.write(full, os.path.relpath(full, os.path.dirname(package)))
        _packed["data"] = buffer.getvalue()
    return _packed["data"]


class EngineAction(ActionBase):
    """Execute the module of the same name with the controller's crossplane on its PYTHONPATH."""

    TRANSFERS_FILES = True
    _requires_connection = True

    def module_args(self, task_vars):
        """The arguments for the module; subclasses adapt them (render files on the controller)."""
        return self._task.args

    def payload(self, args):
        """(args, bytes or None): data to ship as a file in the task's temporary folder instead of in the
        arguments, which Ansible prints at -vvv and the target logs; its path goes in ``content_file``."""
        return args, None

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        try:
            args = self.module_args(task_vars or {})
            data = library_zip()
        except AnsibleActionFail as exc:
            result.update(failed=True, msg=str(exc))
            return result
        tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
        remote = self._connection._shell.join_path(tmpdir, _ZIP_NAME)
        environment = None
        try:
            self._transfer_data(remote, data)
            shipped = [tmpdir, remote]
            args, payload = self.payload(args)
            if payload is not None:
                contents = self._connection._shell.join_path(tmpdir, "preflight-nginx-contents.json")
                self._transfer_data(contents, payload)
                shipped.append(contents)
                args = dict(args, content_file=contents)
            self._fixup_perms2(tuple(shipped))
            current = {}
            self._compute_environment_string(current)
            path = remote + (os.pathsep + current["PYTHONPATH"] if current.get("PYTHONPATH") else "")
            if self._task.environment is None:
                self._task.environment = []
            elif not isinstance(self._task.environment, list):
                self._task.environment = [self._task.environment]
            environment = {"PYTHONPATH": path}
            self._task.environment.append(environment)
            result.update(self._execute_module(module_name=self._task.resolved_action, module_args=args,
                                               task_vars=task_vars))
        finally:
            if environment is not None:
                self._task.environment.remove(environment)
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
