# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight.nginx engine, for the lint rules.

Installed with `pip install`, the engine is importable as the collection's
module_utils. Used from a checkout (ansible-lint -r extensions/ansible_lint_rules/
preflight_nginx), the checkout's files are served under the same names by a
small import finder, placed before Ansible's own collection finder.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import inspect
import logging
import os
import sys

_COLLECTION = "ansible_collections.preflight.nginx"
_ENGINE = _COLLECTION + ".plugins.module_utils"


class _CheckoutFinder:
    """Finds ansible_collections.preflight.nginx.* in a checkout of the collection."""

    def __init__(self, root):
        self.root = root

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "ansible_collections.preflight":
            spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = []
            return spec
        if fullname != _COLLECTION and not fullname.startswith(_COLLECTION + "."):
            return None
        base = os.path.join(self.root, *fullname[len(_COLLECTION):].split(".")[1:])
        if os.path.isdir(base):
            init = os.path.join(base, "__init__.py")
            if os.path.isfile(init):
                return importlib.util.spec_from_file_location(fullname, init, submodule_search_locations=[base])
            spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = [base]
            return spec
        if os.path.isfile(base + ".py"):
            return importlib.util.spec_from_file_location(fullname, base + ".py")
        return None


def _checkout_root():
    # extensions/ansible_lint_rules/preflight_nginx/ -> the collection root
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    return root if os.path.isfile(os.path.join(root, "plugins", "module_utils", "engine.py")) else None


def load(name):
    """Import one engine module (addresses, engine, env_endpoints)."""
    try:
        return importlib.import_module("%s.%s" % (_ENGINE, name))
    except Exception:  # ImportError, or ValueError from Ansible's finder for an unknown collection
        root = _checkout_root()
        if root is None:
            raise ImportError("the preflight.nginx engine is not installed: pip install preflight-nginx") from None
        for module in [m for m in sys.modules if m == "ansible_collections.preflight" or m.startswith(_COLLECTION)]:
            del sys.modules[module]
        sys.meta_path.insert(0, _CheckoutFinder(root))
        return importlib.import_module("%s.%s" % (_ENGINE, name))


class KeptUnderProfiles:
    """Mixin for the preflight rules: a profile (``profile: production``) does not drop them.

    ansible-lint unloads every rule its profile does not name, custom rules included, before
    it looks at ``-t``: in a repository whose .ansible-lint says ``profile: production``,
    ``ansible-lint -t preflight`` ran no preflight rule and said "Passed". A rule in
    ``enable_list`` survives that filter (ansible-lint 26.2 and later). The collection hands
    each rule its options (``rule._collection``) before it filters, so here the rule enters
    its own id in that run's ``enable_list``: installed or given with ``-r``, it runs under
    any profile. ``skip_list`` still switches it off.
    """

    @property
    def _collection(self):
        return self.__dict__.get("_preflight_collection")

    @_collection.setter
    def _collection(self, collection):
        self.__dict__["_preflight_collection"] = collection
        options = getattr(collection, "options", None)
        enabled = getattr(options, "enable_list", None)
        if getattr(options, "profile", None) and isinstance(enabled, list) and self.id not in enabled:
            enabled.append(self.id)
            if not _profiles_honour_enable_list():
                logging.getLogger(__name__).warning(
                    "%s does not run under profile %r with this ansible-lint (older than 26.2 drops every "
                    "rule its profile does not name): upgrade ansible-lint, or run without a profile",
                    self.id, options.profile)


def _profiles_honour_enable_list():
    """ansible-lint 26.2 and later keep the rules of enable_list under a profile."""
    try:
        from ansiblelint.rules import filter_rules_with_profile
    except ImportError:
        return False
    return "enable_list" in inspect.signature(filter_rules_with_profile).parameters
