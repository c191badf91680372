# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check a file rendered on the controller where it will stand on the target (preflight.nginx.template).

Alone, it is checked as a file at its dest path. Inside a controller-side copy of the target's tree, the
engine reads that copy with the rendered file at its dest path, so what other files define (upstreams,
listens) counts. The engine does the checking; this only says where the files are.
"""

from __future__ import annotations

import os
import posixpath
import re

from ansible_collections.preflight.nginx.plugins.module_utils import engine, nginx_config
from ansible_collections.preflight.nginx.plugins.module_utils.source import Source

# The directory a config copy stands for when no root says otherwise: where Debian's nginx, the official
# image and most distributions keep it.
DEFAULT_NGINX_DIR = "/etc/nginx"


def tree_main(config=None, root=None):
    """(main file as nginx sees it, {nginx directory: local directory}) of a controller-side tree.

    ``root`` stands for ``/`` (``config``, by default ROOT/etc/nginx/nginx.conf, is under it); without
    it the directory of ``config`` stands for /etc/nginx. ``config`` may be a directory holding
    nginx.conf. Raises ValueError naming the argument that is wrong.
    """
    if root is not None:
        root = os.path.realpath(root)
        if not os.path.isdir(root):
            raise ValueError("root: %s is not a directory" % root)
        config = config or os.path.join(root, DEFAULT_NGINX_DIR.lstrip("/"))
    local = os.path.realpath(config)
    if os.path.isdir(local):
        local = os.path.join(local, "nginx.conf")
    if not os.path.isfile(local):
        raise ValueError("config: %s does not exist" % local)
    if root is None:
        return posixpath.join(DEFAULT_NGINX_DIR, os.path.basename(local)), {DEFAULT_NGINX_DIR: os.path.dirname(local)}
    if not local.startswith(root + os.sep):
        raise ValueError("config: %s is not under root %s" % (local, root))
    return "/" + os.path.relpath(local, root).replace(os.sep, "/"), {"/": root}


def _overlay(rendered, dest, mapping, scratch):
    """Mapping entries that show ``rendered`` at ``dest`` inside the tree ``mapping`` reads.

    A file mapping alone would not do: ``include conf.d/*.conf`` lists the folder, where a new file is
    missing. So the dest's folder is stood in for by ``scratch``, holding one empty name per entry of
    the real folder plus the dest's; each name maps back to what it stands for.
    """
    folder = posixpath.dirname(dest)
    real = nginx_config.local_path(folder, mapping)
    entries = {folder: scratch}
    names = os.listdir(real) if os.path.isdir(real) else []
    for name in names:
        entries[posixpath.join(folder, name)] = os.path.join(real, name)
    entries[dest] = rendered
    for name in set(names) | {posixpath.basename(dest)}:
        open(os.path.join(scratch, name), "wb").close()
    return entries


def check_rendered(rendered, dest, options=None, config=None, root=None, scratch=None, context="auto"):
    """(Report, note) of the rendered file at local path ``rendered``, to be written at ``dest``.

    With ``config`` or ``root`` (see tree_main) the whole tree is checked with the file in it
    (``scratch``: an empty directory for the overlay); ``note`` says when the tree does not include the
    dest, which is then checked on its own. ``options`` are the engine's Options.
    """
    if config is not None or root is not None:
        if not posixpath.isabs(dest):
            raise ValueError("dest: %s must be an absolute path to be placed in config" % dest)
        main, mapping = tree_main(config, root)
        mapping.update(_overlay(rendered, posixpath.normpath(dest), mapping, scratch))
        report = engine.check(Source.file(main, mapping=mapping), options)
        if posixpath.normpath(dest) in report.files:
            return report, None
        note = "%s is not included by %s (read as %s), so it was checked on its own" % (dest, main, config or root)
    else:
        note = None
    with open(rendered, "rb") as handle:
        data = handle.read()
    return engine.check(Source.text(data, dest, context=context), options), note


def template_lines(template, rendered, delimiters):
    """{rendered line number: template line number} where that is cheap to know for sure.

    A rendered line comes from the template line it matches (its ``{{ }}`` expressions standing for
    anything); it is named when that template line is the only match, or has the same number (loops and
    conditions above it moved nothing). Lines of loops or conditions themselves are never named.
    """
    start, end = re.escape(delimiters[0]), re.escape(delimiters[1])
    tags = tuple(d for d in delimiters[2:] if d)
    patterns = []
    for number, line in enumerate(template.splitlines(), 1):
        line = line.rstrip()
        if not line.strip() or any(tag in line for tag in tags):
            continue
        parts = re.split("%s.*?%s" % (start, end), line)
        patterns.append((number, re.compile(".*".join(re.escape(part) for part in parts))))
    found = {}
    for number, line in enumerate(rendered.splitlines(), 1):
        matches = [template_number for template_number, pattern in patterns if pattern.fullmatch(line.rstrip())]
        if number in matches:
            found[number] = number
        elif len(matches) == 1:
            found[number] = matches[0]
    return found
