# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What to check: the one description every front-end builds of its input.

A ``Source`` says what the input is (a file tree on disk, configuration text,
a Docker-style envsubst template, ``nginx -T`` output) and where it stands
(``root``, ``context``, ``prefix``, ``mapping``). ``Source.load`` picks the
loader; ``Source.for_path`` is the one place that decides what a path a user
typed is; ``nginx_test_refusal`` is the one place that knows when ``nginx -t``
cannot judge it. The engine (engine.check) takes a Source and runs the rules.
"""

from __future__ import annotations

import os

from ansible_collections.preflight.nginx.plugins.module_utils import nginx_config

FILE, TEXT, TEMPLATE, DUMP = "file", "text", "template", "dump"
KINDS = (FILE, TEXT, TEMPLATE, DUMP)
STDIN = "-"
STDIN_NAME = "<stdin>"


class Source:
    """One input to check, and how nginx would see it.

    ``kind`` FILE: ``path`` is a main file (or a fragment, by ``context``) read
    from disk with its includes; ``root`` stands for ``/`` (a repository copy
    of /etc/nginx); ``mapping`` ({nginx directory: local directory}) reads some
    directories from elsewhere (a staged copy), ``path`` then being the file as
    nginx sees it. TEXT: ``data`` (str or bytes) named ``path``. TEMPLATE:
    ``path`` rendered by envsubst with ``variables`` (``name_filter`` as
    NGINX_ENVSUBST_FILTER). DUMP: ``data`` is ``nginx -T`` output.
    """

    def __init__(self, kind, path=None, data=None, root=None, context=None, prefix=None, mapping=None,
                 variables=None, name_filter=None, display_name=None, resolve_includes=None):
        if kind not in KINDS:
            raise ValueError("source kind must be one of %s, not %r" % (", ".join(KINDS), kind))
        if context is not None and context not in nginx_config.CONTEXTS + (nginx_config.AUTO,):
            raise ValueError("context must be one of %s, not %r" % (
                ", ".join(nginx_config.CONTEXTS + (nginx_config.AUTO,)), context))
        if root is not None and kind != FILE:
            raise ValueError("root applies to files on disk, not to %s input" % kind)
        self.kind = kind
        self.path = path
        self.data = data
        self.root = root or None
        # A file on disk is a main file unless said otherwise; text and templates are guessed.
        self.context = context or (nginx_config.MAIN if kind in (FILE, DUMP) else nginx_config.AUTO)
        self.prefix = prefix or None
        self.mapping = mapping or None
        self.variables = dict(variables or {})
        self.name_filter = name_filter
        self.display_name = display_name
        # Text has no folder of its own: its includes are followed only when asked for.
        self.resolve_includes = kind != TEXT if resolve_includes is None else resolve_includes

    @classmethod
    def file(cls, path, **where):
        return cls(FILE, path=path, **where)

    @classmethod
    def text(cls, data, filename="nginx.conf", **where):
        return cls(TEXT, path=filename, data=data, **where)

    @classmethod
    def template(cls, path, variables, name_filter=None, **where):
        return cls(TEMPLATE, path=path, variables=variables, name_filter=name_filter, **where)

    @classmethod
    def dump(cls, data, name=None):
        return cls(DUMP, path=name, data=data)

    @classmethod
    def for_path(cls, path, dump=False, variables=None, name_filter=None, root=None, context=None, prefix=None,
                 stdin=None):
        """What a path typed by a user is: ``-`` (read from ``stdin``, a binary stream), a directory
        holding nginx.conf, a template when ``variables`` are given, nginx -T output (``dump``, or
        recognised by its first lines), else a configuration file on disk.

        Raises ConfigLoadError when a file that must be read first cannot be.
        """
        if path == STDIN:
            data = stdin.read() if stdin is not None else b""
            if dump or nginx_config.is_dump(data):
                return cls.dump(data, STDIN_NAME)
            return cls.text(data, STDIN_NAME, context=context, prefix=prefix, resolve_includes=True)
        main_file = os.path.join(path, "nginx.conf") if os.path.isdir(path) else path
        if variables is not None:
            return cls.template(main_file, variables, name_filter, context=context, prefix=prefix)
        if dump or _starts_like_dump(main_file):
            try:
                with open(main_file, "rb") as handle:
                    return cls.dump(handle.read(), main_file)
            except OSError as exc:
                raise nginx_config.ConfigLoadError("cannot read %s: %s" % (main_file, exc.strerror or exc)) from exc
        return cls.file(main_file, root=root, context=context, prefix=prefix)

    @property
    def name(self):
        """What the user called this input (its main file, ``<stdin>``)."""
        return self.display_name or self.path or STDIN_NAME

    def nginx_test_refusal(self):
        """Why ``nginx -t`` cannot judge this input (None when it can).

        nginx reads its files at their absolute paths: a tree under a root or a
        mapping would be judged by the live files instead, and text, templates
        and dumps are not where nginx would read them.
        """
        if self.kind != FILE:
            return "nginx -t checks files in place; %s input is not on disk where nginx reads it" % self.kind
        if self.root or self.mapping:
            return "nginx -t cannot check a tree under a root: it would read the live absolute paths"
        return None

    def load(self):
        """The LoadedConfig; raises ConfigLoadError when the main input cannot be read at all."""
        if self.kind == FILE:
            return nginx_config.load(self.path, prefix=self.prefix, resolve_includes=self.resolve_includes,
                                     root=self.root, context=self.context, display_name=self.display_name,
                                     mapping=self.mapping)
        if self.kind == TEXT:
            return nginx_config.load_text(self.data, self.path or "nginx.conf",
                                          resolve_includes=self.resolve_includes, context=self.context,
                                          prefix=self.prefix)
        if self.kind == TEMPLATE:
            return nginx_config.load_template(self.path, self.variables, self.name_filter, context=self.context,
                                              prefix=self.prefix)
        return nginx_config.load_dump(self.data, context=self.context)

    def __repr__(self):
        return "Source(%s, %r)" % (self.kind, self.name)


def _starts_like_dump(path):
    try:
        with open(path, "rb") as handle:
            return nginx_config.is_dump(handle.read(4096))
    except OSError:
        return False  # the loader says what is wrong with the file
