# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readers for the places curl commands and endpoint variables live, one module per kind of file.

Each reader module has ``KIND``, ``claims(path, text)`` (recognised by name and content) and
``read(source)`` yielding :class:`base.Use` objects. endpoint_scan imports each one by name:
Ansible ships a module only the module_utils files it imports explicitly.
"""
