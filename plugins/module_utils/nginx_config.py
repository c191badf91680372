# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load an nginx configuration tree into directives that know where they stand.

crossplane lexes and parses each file; includes and globs are resolved here,
the way nginx does (relative to the main file's directory, whatever -p says),
so that a file included from two places is expanded in both, include cycles
are caught, and every load problem names the file and line that caused it.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import tempfile
import traceback

from ansible_collections.preflight.nginx.plugins.module_utils import envsubst
from ansible_collections.preflight.nginx.plugins.module_utils.nginx_directives import holds_values, is_known_directive

try:
    import crossplane
    HAS_CROSSPLANE = True
    CROSSPLANE_IMPORT_ERROR = None
except ImportError:  # reported by the front-ends (missing_required_lib)
    crossplane = None
    HAS_CROSSPLANE = False
    CROSSPLANE_IMPORT_ERROR = traceback.format_exc()

SYNTAX_ERROR = "syntax-error"
INCLUDE_ERROR = "include-error"
INVALID_ENCODING = "invalid-encoding"
INVALID_ARGUMENTS = "invalid-arguments"
INCLUDE_OUTSIDE_TREE = "include-outside-tree"

# nginx nests includes, but a chain deeper than this is a loop in disguise.
MAX_INCLUDE_DEPTH = 64


class ConfigLoadError(Exception):
    """The main file itself could not be read: nothing to check."""


class Directive:
    """One directive: name, arguments, where it was written, and its block."""

    __slots__ = ("name", "args", "file", "line", "parent", "block", "_context")

    def __init__(self, name, args, file, line, parent=None, block=None):
        self.name = name
        self.args = args
        self.file = file
        self.line = line
        self.parent = parent
        self.block = block
        self._context = None

    def children(self, name=None):
        if not self.block:
            return []
        return [d for d in self.block if name is None or d.name == name]

    def label(self):
        """How this block shows in a context path: ``server(example.com)``."""
        if self.name == "server" and self.block is not None:
            names = self.children("server_name")
            if names and names[0].args:
                return "server(%s)" % names[0].args[0]
            listens = self.children("listen")
            if listens and listens[0].args:
                return "server(%s)" % listens[0].args[0]
            return "server"
        if self.name in ("upstream", "location", "map", "if", "limit_except", "split_clients", "geo", "types"):
            return " ".join([self.name] + self.args) if self.args else self.name
        return self.name

    @property
    def context(self):
        """The blocks around this directive: ``http > server(api) > location /``."""
        if self._context is None:
            parent = self.parent
            self._context = "" if parent is None or parent.name == "" else (
                parent.label() if not parent.context else parent.context + " > " + parent.label())
        return self._context

    def text(self):
        return " ".join([self.name] + [_quote(a) for a in self.args])

    def __repr__(self):
        return "Directive(%r, %r, %s:%s)" % (self.name, self.args, self.file, self.line)


def _quote(arg):
    if arg == "" or any(c in arg for c in " \t;{}\"'"):
        return '"%s"' % arg.replace('"', '\\"')
    return arg


class LoadProblem:
    """A problem found while loading: a rule id with file and line."""

    __slots__ = ("rule", "message", "file", "line", "hint", "directive")

    def __init__(self, rule, message, file, line, hint="", directive=None):
        self.rule = rule
        self.message = message
        self.file = file
        self.line = line
        self.hint = hint
        self.directive = directive


class LoadedConfig:
    """The result of loading: a root directive, the files read, and problems.

    File names are the ones nginx would see (``/etc/nginx/sites-enabled/shop``),
    whichever loader ran: a tree on disk, a tree under ``--root``, a fragment,
    standard input, an ``nginx -T`` dump or a rendered template.
    """

    def __init__(self, main_file, prefix):
        self.main_file = main_file
        self.prefix = prefix  # nginx's -p (relative pid and log paths), None when not given
        self.include_base = os.path.dirname(main_file)  # where relative includes start
        self.root = Directive("", [], main_file, 0, block=[])
        self.context = MAIN
        self.files = []
        self.problems = []
        self.comments = {}  # file -> {line: [comment text]}
        self.texts = {}  # file -> its text (lines are split only when asked for)
        self.line_notes = {}  # (file, line) -> what a loader knows about that line (template variables)
        # How the files were read, not problems of the configuration: [{"file", "line", "message"}].
        self.notes = []
        self.mapping = None  # {nginx directory: local directory} the files were read through, if any
        self._lines = {}

    @property
    def protocol(self):
        """The protocol block the top level stands in (None for a main file)."""
        return {HTTP_CONTEXT: "http", STREAM_CONTEXT: "stream", SERVER_CONTEXT: "http",
                LOCATION_CONTEXT: "http"}.get(self.context)

    def local_file(self, file):
        """Where the file nginx sees as ``file`` is on this machine: the copy's file under a root or a
        mapping (links followed, as the loader read it), else ``file`` itself."""
        if not self.mapping or not file or not file.startswith("/") or (
                file not in self.texts and file not in self.files):
            return file  # not one the loader read (nginx -t's own messages name the file nginx read)
        return local_path(file, self.mapping)

    def source_lines(self, file):
        """The lines of a file that was read (for code frames and suppressions)."""
        if file not in self._lines:
            self._lines[file] = self.texts.get(file, "").splitlines()
        return self._lines[file]

    def walk(self):
        """Every directive, depth first, in file order."""
        stack = list(reversed(self.root.block))
        while stack:
            directive = stack.pop()
            yield directive
            if directive.block:
                stack.extend(reversed(directive.block))


# Where the top level of a file stands: a whole nginx.conf, or a file included in a block.
MAIN, HTTP_CONTEXT, STREAM_CONTEXT, SERVER_CONTEXT, LOCATION_CONTEXT = "main", "http", "stream", "server", "location"
CONTEXTS = (MAIN, HTTP_CONTEXT, STREAM_CONTEXT, SERVER_CONTEXT, LOCATION_CONTEXT)
AUTO = "auto"

# Top-level names that only a main file has.
_MAIN_ONLY = frozenset(("http", "events", "stream", "mail", "worker_processes", "worker_rlimit_nofile",
                        "load_module", "pid", "user", "daemon", "master_process", "env", "worker_cpu_affinity",
                        "pcre_jit", "thread_pool", "worker_shutdown_timeout", "lock_file"))
# Top-level names that put a file inside http (or stream) rather than inside a server.
_BLOCK_LEVEL = frozenset(("server", "upstream", "map", "geo", "split_clients", "log_format", "limit_req_zone",
                          "limit_conn_zone", "proxy_cache_path", "fastcgi_cache_path", "uwsgi_cache_path",
                          "scgi_cache_path", "server_names_hash_bucket_size", "variables_hash_max_size"))
_SERVER_LEVEL = frozenset(("listen", "server_name", "location", "ssl_certificate", "root"))
_LOCATION_ONLY = frozenset(("proxy_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass", "grpc_pass",
                            "memcached_pass", "alias", "internal", "limit_except"))


def guess_context(statements):
    """Where a file's top level stands, from what is written there (crossplane statements)."""
    names = {stmt["directive"] for stmt in statements}
    if names & _MAIN_ONLY:
        return MAIN
    if names & _BLOCK_LEVEL:
        servers = [stmt for stmt in statements if stmt["directive"] == "server"]
        return STREAM_CONTEXT if servers and all(_is_stream_server(s) for s in servers) else HTTP_CONTEXT
    if names & _SERVER_LEVEL:
        return SERVER_CONTEXT
    if names & _LOCATION_ONLY:
        return LOCATION_CONTEXT
    return HTTP_CONTEXT if names - {"#"} else MAIN


def _is_stream_server(stmt):
    """A server that proxies host:port with no location and no URL: stream's, not http's."""
    children = stmt.get("block", [])
    names = {child["directive"] for child in children}
    if names & {"location", "server_name", "root", "return", "rewrite", "try_files"}:
        return False
    passes = [child for child in children if child["directive"] == "proxy_pass" and child.get("args")]
    udp = any(child["directive"] == "listen" and "udp" in child.get("args", [])[1:] for child in children)
    return udp or "ssl_preread" in names or (bool(passes) and all("://" not in c["args"][0] for c in passes))


def load(path, prefix=None, resolve_includes=True, root=None, context=MAIN, display_name=None, mapping=None,
         infer_root=True, include_base=None):
    """Load the configuration whose main file is ``path``.

    Relative includes start at the main file's folder, as nginx's do (its
    conf prefix is the folder of -c): ``prefix`` is nginx's -p, where relative
    pid and log paths start, kept as ``LoadedConfig.prefix`` and nothing more.
    ``include_base`` is for text that has no folder of its own (standard
    input, a rendered template): where its relative includes start.

    ``root`` is a directory that stands for ``/``: every absolute path in the
    configuration (includes, symbolic links) is read under it, and files are
    named as nginx would see them. ``mapping`` ({nginx directory: local
    directory}) does the same for some directories only; ``path`` is then the
    main file as nginx sees it. ``context`` says where the top level of the
    main file stands (``auto``: guessed from its content). ``display_name``
    names the main file in findings (standard input, a template).

    Without a root or a mapping, an absolute include that leaves the main
    file's folder for the same path in a copy of it (``repo/etc/nginx`` holding
    ``include /etc/nginx/sites-enabled/*``) is not read from this machine:
    with ``infer_root`` the copy's root is taken as ``root`` when only one
    fits (and ``LoadedConfig.notes`` says so), otherwise each such include is
    an include-outside-tree warning.

    Raises ConfigLoadError when the main file cannot be read; every other
    problem is recorded in ``LoadedConfig.problems``.
    """
    if not HAS_CROSSPLANE:
        raise ConfigLoadError("the Python library crossplane is not installed")
    if context not in CONTEXTS + (AUTO,):
        raise ValueError("context must be one of %s, not %r" % (", ".join(CONTEXTS + (AUTO,)), context))
    names = {}
    if root is not None:
        # Links on the way (etc/nginx, sites-enabled, the file itself) may be written for the real host
        # (-> /etc/nginx/sites-available): they are followed under the root, not on this machine.
        main_file = _under_root(path, root)
        root = os.path.realpath(root)
        mapping = {"/": root}
    else:
        main_file = os.path.abspath(path)
    if display_name:
        names[main_file] = display_name
    if include_base is None:
        base = os.path.dirname(main_file)
    elif mapping or os.path.isabs(include_base):
        base = os.path.normpath(include_base)  # under a mapping, a path as nginx sees it
    else:
        base = os.path.abspath(include_base)
    if prefix and not mapping and not os.path.isabs(prefix):
        prefix = os.path.abspath(prefix)
    loaded = LoadedConfig(names.get(main_file, main_file), os.path.normpath(prefix) if prefix else None)
    loaded.include_base = base
    loaded.mapping = dict(mapping) if mapping else None
    tree = os.path.dirname(main_file) if infer_root and not mapping else None
    loader = _Loader(loaded, base, resolve_includes, mapping, names, tree)
    statements = loader.parse_file(main_file, None)
    if statements is None:
        problem = loaded.problems[0] if loaded.problems else None
        raise ConfigLoadError(problem.message if problem else "cannot read %s" % main_file)
    loaded.context = guess_context(statements) if context == AUTO else context
    parent = loaded.root
    if loaded.context in (SERVER_CONTEXT, LOCATION_CONTEXT):
        # A file included in a server (or a location): check it inside one.
        name = loaded.main_file
        parent = Directive("server", [], name, 1, loaded.root, block=[])
        loaded.root.block = [parent]
        if loaded.context == LOCATION_CONTEXT:
            location = Directive("location", ["/"], name, 1, parent, block=[])
            parent.block = [location]
            parent = location
    parent.block.extend(loader.build(statements, main_file, parent, (main_file,)))
    if loader.outside:
        guessed = _copy_root(loader.outside)
        if guessed is None:
            loader.report_outside()
        else:
            first = next(record for record in loader.outside if record.roots)
            again = load(path, prefix, resolve_includes, guessed, context, display_name, infer_root=False,
                         include_base=include_base)
            if first.file == main_file:
                where = (again.main_file, first.line)
            elif _within(first.file, guessed):
                where = ("/" + os.path.relpath(first.file, guessed), first.line)
            else:
                where = (again.main_file, None)
            again.notes.append({
                "file": where[0], "line": where[1],
                "message": "read %s under %s (as --root %s): %s looks like a copy of %s, so this machine's own "
                           "files there are not the ones checked; pass --root %s to say so"
                           % (first.target, guessed, guessed, os.path.dirname(main_file), first.copy_of, guessed)})
            return again
    return loaded


class _Outside:
    """An absolute path (an include, a link's target) that leaves the checked folder for the same
    path in what looks like a copy of it: ``repo/etc/nginx`` reaching ``/etc/nginx/sites-enabled/*``."""

    __slots__ = ("file", "line", "target", "roots", "fits", "copy_of", "read", "how")

    def __init__(self, file, line, target, roots, fits, copy_of, read, how):
        self.file = file
        self.line = line
        self.target = target
        self.roots = roots  # the copy's roots under which the target exists
        self.fits = fits  # every folder that could be the copy's root
        self.copy_of = copy_of  # what the checked folder is a copy of (/etc/nginx)
        self.read = read  # the files this machine gave for it
        self.how = how


def _copy_root(outside):
    """The one root every outside path fits under, or None (none fits, or several do)."""
    roots = {tuple(record.roots) for record in outside if record.roots}
    if len(roots) == 1:
        only = roots.pop()
        if len(only) == 1:
            return only[0]
    return None


def _copy_roots(tree, target):
    """(roots, fits, copy_of) for an absolute ``target`` outside the folder ``tree``: ``fits`` are the
    folders R with ``tree`` = R + X and ``target`` under X (``tree`` looks like a copy of X), ``roots``
    those under which the target exists; None when ``target`` is inside the tree or ``tree`` is no copy."""
    head = _plain_head(target)
    if _within(head, tree) or _within(os.path.realpath(head), os.path.realpath(tree)):
        return None
    parts = tree.strip("/").split("/")
    matches = []
    for cut in range(1, len(parts)):
        copy_of = "/" + "/".join(parts[cut:])
        if _within(head, copy_of):
            matches.append(("/" + "/".join(parts[:cut]), copy_of))
    if not matches:
        return None
    roots = [root for root, _copy_of in matches if os.path.lexists(local_path(head, {"/": root}))]
    return roots, [root for root, _copy_of in matches], matches[0][1]


def _plain_head(pattern):
    """The part of an include pattern before its first wildcard (the directory a glob lists)."""
    if not glob.has_magic(pattern):
        return os.path.normpath(pattern)
    parts = pattern.split("/")
    plain = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    return os.path.normpath("/".join(parts[:plain]) or "/")


def _within(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def reads_as_nginx(config):
    """Whether a loaded file is nginx configuration at all, not an ntp, php-fpm, Apache or YAML file
    that happens to be named ``*.conf``: it must hold statements nginx can parse, and most of their
    names must be directives nginx knows."""
    known = total = 0
    for directive in config.walk():
        if _in_value_block(directive) or directive.name.startswith("$"):
            continue  # a name written by a template ({{ key }} value;) says nothing either way
        total += 1
        known += is_known_directive(directive.name)
    return known > 0 and known * 2 >= total


def _in_value_block(directive):
    parent = directive.parent
    while parent is not None and parent.name:
        if holds_values(parent.name):
            return True
        parent = parent.parent
    return False


def load_text(text, filename="nginx.conf", resolve_includes=False, context=MAIN, prefix=None):
    """Load configuration text (standard input, filters, rendered templates), named ``filename``.

    Text has no folder of its own: its relative includes start at ``prefix``, by default the folder of
    ``filename`` when it is absolute, else here."""
    directory = tempfile.mkdtemp(prefix="nginx-preflight-")
    path = os.path.join(directory, os.path.basename(filename) or "nginx.conf")
    try:
        with open(path, "wb") as handle:
            handle.write(text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text)
        if prefix is None:
            prefix = os.path.dirname(filename) if os.path.isabs(filename) else os.getcwd()
        # Its folder is a scratch one: nothing reached from there is a copy of anything.
        return load(path, resolve_includes=resolve_includes, context=context, display_name=filename,
                    infer_root=False, include_base=prefix)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def load_template(path, variables, name_filter=None, context=AUTO, prefix=None):
    """Load a Docker-style ``*.template`` rendered with ``variables`` (see envsubst).

    Findings stay at the template's own lines, and each one on a line a
    variable changed says so: "BACKEND_HOST=0 makes \"proxy_pass http://0:8080;\"".
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ConfigLoadError("cannot read template %s: %s" % (path, exc.strerror or exc)) from exc
    text = data.decode("utf-8", "surrogateescape")
    rendered = envsubst.render(text, variables, name_filter)
    if any("\n" in str(value) for value in variables.values()):
        raise ConfigLoadError("a variable value has a line break: the template's line numbers would not hold")
    name = os.path.abspath(path)
    loaded = load_text(rendered.text, name, context=context, prefix=prefix)
    for line in rendered.used:
        loaded.line_notes[(name, line)] = rendered.note(line)
    return loaded


DUMP_MARKER = re.compile(r"^# configuration file (\S.*):$")


def is_dump(text):
    """True when ``text`` is ``nginx -T`` output (it names each file it holds)."""
    head = text[:4096] if isinstance(text, str) else text[:4096].decode("utf-8", "replace")
    return any(DUMP_MARKER.match(line) for line in head.splitlines()[:40])


def split_dump(text):
    """``nginx -T`` output as [(path, content)], in the order nginx read the files.

    nginx writes each file as "# configuration file PATH:", its bytes, and one
    more newline; lines before the first marker ("syntax is ok") are not config.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogateescape")
    files = []
    current = None
    for line in text.splitlines(True):
        match = DUMP_MARKER.match(line.rstrip("\r\n"))
        if match:
            current = [match.group(1), []]
            files.append(current)
        elif current is not None:
            current[1].append(line)
    result = []
    for path, lines in files:
        content = "".join(lines)
        if content.endswith("\n"):
            content = content[:-1]
        result.append((path, content))
    return result


def load_dump(text, context=MAIN):
    """Load ``nginx -T`` output: each file where the dump says it was, findings at its own lines."""
    files = split_dump(text)
    if not files:
        raise ConfigLoadError("no \"# configuration file PATH:\" line: this is not nginx -T output")
    root = tempfile.mkdtemp(prefix="nginx-preflight-dump-")
    try:
        for path, content in files:
            target = os.path.join(root, path.lstrip("/"))
            if os.path.realpath(target) != target and not os.path.realpath(target).startswith(root + os.sep):
                raise ConfigLoadError("nginx -T names a file outside any tree: %s" % path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.exists(target):
                continue  # nginx dumps a file once; keep the first
            with open(target, "wb") as handle:
                handle.write(content.encode("utf-8", "surrogateescape"))
        loaded = load(files[0][0], mapping={"/": root}, context=context)
        loaded.mapping = None  # the files are the dump's, and their scratch copies are gone
        return loaded
    finally:
        shutil.rmtree(root, ignore_errors=True)


def local_path(path, mapping, hops=40):
    """Where the file nginx would open as ``path`` is on this machine.

    ``mapping`` ({nginx directory: local directory}) says which directories
    stand in for others: ``{"/": repo}`` for a repository copy of a whole
    tree, ``{"/etc/nginx": stage}`` for a staged copy of one folder. Symbolic
    links are followed the way nginx would see them, so an absolute link in
    ``sites-enabled`` leads into the mapped tree too.
    """
    return _walk(path, mapping, hops)[0]


def _walk(path, mapping, hops=40):
    """(local path, problem) of ``path``, following links component by component as nginx would see
    them; problem says why nginx's view cannot be read there (a loop of links, a link whose ``..``
    climbs out of the root), else None. ``..`` in ``path`` itself stops at /, as it does for nginx."""
    parts = [(part, None) for part in path.split("/") if part not in ("", ".")]
    seen = "/"  # the path as nginx sees it, so far
    while parts:
        part, via = parts.pop(0)
        if part == "..":
            if seen == "/" and via is not None and "/" in mapping:
                return _mapped(seen, mapping), "%s is a link to %s, which leads out of the root %s" % (
                    via[0], via[1], mapping["/"])
            seen = os.path.dirname(seen)
            continue
        candidate = os.path.join(seen, part)
        local = _mapped(candidate, mapping)
        if os.path.islink(local):
            if hops <= 0:
                # Under the root such a link leads back to itself; the machine would follow it elsewhere.
                return local, "%s is a link to %s, which leads back to itself there (a loop of links)" % (
                    local, os.readlink(local))
            hops -= 1
            target = os.readlink(local)
            parts = [(p, (local, target)) for p in target.split("/") if p not in ("", ".")] + parts
            if target.startswith("/"):
                seen = "/"
            continue
        seen = candidate
    return _mapped(seen, mapping), None


def _under_root(path, root):
    """The main file ``path`` (a path on this machine) as nginx sees it with ``root`` as /.

    The components up to the root are this machine's (a checkout behind a link); from the root on,
    they are nginx's, followed under the root whatever links they hold (``etc/nginx`` or
    ``sites-enabled`` linked to a host-absolute path). Raises ConfigLoadError naming what leads out.
    """
    real_root = os.path.realpath(root)
    absolute = os.path.abspath(path)
    for base in (os.path.abspath(root), real_root):
        if _within(absolute, base):
            rest = absolute[len(base.rstrip("/")):]
            break
    else:
        parts = absolute.strip("/").split("/")
        for cut in range(1, len(parts) + 1):
            reached = os.path.realpath("/" + "/".join(parts[:cut]))
            if _within(reached, real_root):
                rest = reached[len(real_root.rstrip("/")):] + "".join("/" + part for part in parts[cut:])
                break
        else:
            raise ConfigLoadError("%s is not under the root %s" % (path, root))
    main_file = "/" + rest.strip("/")
    _local, problem = _walk(main_file, {"/": real_root})
    if problem:
        raise ConfigLoadError("%s is not under the root %s as nginx would see it: %s" % (path, root, problem))
    return main_file


def _mapped(path, mapping):
    for prefix in sorted(mapping, key=len, reverse=True):
        head = prefix.rstrip("/")
        if path == prefix or path.startswith(head + "/"):
            return mapping[prefix] + path[len(head):]
    return path


_WORD_THEN_BRACE = re.compile(r"[^;{}\s]\s*}")
# A Jinja or Go template tag ({{ x }}, {% if %}, {# #}) outside a comment or a quoted string on its line.
_TEMPLATE_MARKER = re.compile(r"(?m)^[^#\"'\n]*?(\{\{-?|\{%-?|\{#)")


def _ended_by_brace(real):
    """(directive, line) of each directive that a "}" ends instead of ";" (``listen 80 }``).

    crossplane catches these only inside contexts it knows from the top of the file
    (http > server), not in a file included there or checked on its own (a site file),
    where nginx refuses them all the same (unexpected "}").
    """
    found, current = [], None
    try:
        for token, line, quoted in crossplane.lex(real):
            if quoted:
                current = current or (token, line)
            elif token.startswith("#"):
                continue
            elif token in ("{", ";"):
                current = None
            elif token == "}":
                if current is not None:
                    found.append(current)
                current = None
            elif current is None:
                current = (token, line)
    except Exception:  # unbalanced braces, bad quotes: crossplane.parse has said so already
        return []
    return found


class _Loader:
    def __init__(self, loaded, base, resolve_includes, mapping=None, names=None, tree=None):
        self.loaded = loaded
        self.base = base
        self.resolve_includes = resolve_includes
        self.mapping = mapping
        self.names = names or {}
        self.parsed = {}  # file -> crossplane statements (None: unreadable)
        self.tree = tree  # the checked folder, when absolute paths leaving it are watched
        self.broken = {}  # nginx path -> why it cannot be read under the mapping (a loop of links...)
        self.outside = []  # _Outside records
        self._seen_outside = set()

    def watch_outside(self, file, line, target, read, how):
        """Record an absolute ``target`` (written at file:line) that leaves the checked folder for a copy."""
        if self.tree is None or (file, line, target) in self._seen_outside:
            return
        self._seen_outside.add((file, line, target))
        copy = _copy_roots(self.tree, target)
        if copy is not None:
            self.outside.append(_Outside(file, line, target, *copy, read=read, how=how))

    def report_outside(self):
        """No one root fits: say where this machine's files were read instead of the tree's."""
        for record in self.outside:
            if not record.read:
                continue  # nothing of this machine's was read: an include error says so, or nginx too reads nothing
            roots = sorted({root for other in self.outside for root in other.roots}) or record.fits
            shown = ", ".join(record.read[:3]) + (", ..." if len(record.read) > 3 else "")
            self.problem(
                INCLUDE_OUTSIDE_TREE,
                "%s %s leaves the checked folder %s: read %s from this machine, not from the tree being checked"
                % (record.how, record.target, self.tree, shown), record.file, record.line,
                "%s looks like a copy of %s: say which folder stands for / with --root %s"
                % (self.tree, record.copy_of, " or --root ".join(roots) if roots else "DIR"))

    def fs(self, path):
        """Where the file nginx would open as ``path`` is on this machine (see ``broken``)."""
        if not self.mapping:
            return path
        local, problem = _walk(path, self.mapping)
        if problem:
            self.broken[path] = problem  # the machine would follow the link elsewhere: never read it
        return local

    def name(self, path):
        return self.names.get(path, path)

    def problem(self, rule, message, file, line, hint=""):
        self.loaded.problems.append(LoadProblem(rule, message, self.name(file), line, hint))

    def parse_file(self, path, included_from):
        """crossplane statements of one file, parsed once; None when it cannot be read."""
        if path in self.parsed:
            return self.parsed[path]
        self.parsed[path] = None
        where = included_from or (path, None)
        name = self.name(path)
        real = self.fs(path)
        try:
            if path in self.broken:
                raise OSError(self.broken[path])
            with open(real, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            if os.path.islink(real) and not os.path.exists(real):
                # A sites-enabled link copied out of /etc/nginx points at a path this machine lacks.
                reason = "it is a link to %s, which does not exist here (%s)" % (os.readlink(real), reason)
            what = "included file" if included_from else "configuration file"
            self.problem(INCLUDE_ERROR, "cannot read %s %s: %s" % (what, name, reason),
                         where[0], where[1], "check the path and its permissions")
            return None
        self.loaded.files.append(name)
        if b"\0" in data:
            line = data[:data.index(b"\0")].count(b"\n") + 1
            self.problem(SYNTAX_ERROR, "%s is a binary file, not an nginx configuration (NUL byte)" % name,
                         path, line, "include only text configuration files")
            self.parsed[path] = []
            return []
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            self.problem(INVALID_ENCODING, "invalid UTF-8 (byte 0x%02x) in %s" % (data[exc.start], name),
                         path, line, "save the file as UTF-8; nginx passes the bytes through as they are")
            text = data.decode("utf-8", "replace")
        self.loaded.texts[name] = text
        errors = []
        try:
            payload = crossplane.parse(
                real, onerror=lambda e: e, catch_errors=True, single=True, comments=True,
                strict=False, check_ctx=False, check_args=True)
            statements = payload["config"][0]["parsed"] if payload["config"] else []
            errors = payload["errors"]
        except Exception as exc:  # crossplane raises plain errors on some inputs
            statements = []
            errors = [{"file": real, "line": getattr(exc, "lineno", None), "callback": exc}]
        marker = _TEMPLATE_MARKER.search(text) if errors else None
        if marker:
            # A Jinja or Go template: "{" and "}" are nginx's block marks, so each tag starts a cascade of
            # wrong messages ("unknown directive {"). One finding, where the template syntax starts.
            self.problem(SYNTAX_ERROR, "%s holds template syntax (%s) that nginx does not read: render it "
                         "before checking it" % (name, marker.group(1)), path, text.count("\n", 0, marker.start(1)) + 1,
                         "check the rendered file: preflight.nginx.template renders and checks it on the controller, "
                         "the ansible-lint rule reads Jinja files as they are")
            self.parsed[path] = []
            return []
        for error in errors:
            exc = error.get("callback")
            message = getattr(exc, "strerror", None) or str(exc or error.get("error") or "")
            if not message.strip():
                # crossplane says nothing when the last statement lacks its ";"; nginx does.
                message = "unexpected end of file, expecting \";\" or \"}\""
                error = dict(error, line=error.get("line") or text.count("\n") + 1)
            # crossplane names the file it opened; findings name the file nginx would open.
            message = message.replace(" in %s:" % real, " in %s:" % name)
            if message.startswith(("invalid number of arguments", "invalid value")):
                # crossplane drops such a directive; nginx refuses it all the same.
                self.problem(INVALID_ARGUMENTS, message, path, error.get("line") or 1,
                             "see the directive's documentation for its arguments")
            else:
                self.problem(SYNTAX_ERROR, message, path, error.get("line") or 1,
                             "fix the syntax; nginx refuses to load this file")
        reported = {error.get("line") for error in errors}
        # Lexing again costs as much as the parse: only a file where some "}" follows a word can hold one.
        for directive, line in _ended_by_brace(real) if _WORD_THEN_BRACE.search(text) else ():
            if line not in reported:
                self.problem(SYNTAX_ERROR, 'directive "%s" is not terminated by ";"' % directive, path, line,
                             "fix the syntax; nginx refuses to load this file")
        self.parsed[path] = statements
        return statements

    def build(self, statements, file, parent, stack):
        """Turn crossplane statements into Directives, expanding includes."""
        block = []
        name = self.name(file)
        comments = self.loaded.comments.setdefault(name, {})
        for stmt in statements:
            directive_name = stmt["directive"]
            if directive_name == "#":
                comments.setdefault(stmt["line"], []).append(stmt.get("comment", ""))
                continue
            if directive_name == ";":
                self.problem(SYNTAX_ERROR, "unexpected \";\": an empty statement, which nginx refuses",
                             file, stmt["line"], "remove the extra \";\"")
                continue
            directive = Directive(directive_name, stmt.get("args", []), name, stmt["line"], parent)
            block.append(directive)
            if "block" in stmt:
                directive.block = self.build(stmt["block"], file, directive, stack)
            if directive_name == "include" and self.resolve_includes and len(directive.args) == 1:
                block.extend(self.include(directive, file, parent, stack))
        return block

    def glob(self, pattern):
        """Files matching an include pattern, sorted as nginx sorts them, named as nginx sees them."""
        if not glob.has_magic(pattern):
            return [pattern]
        if not self.mapping:
            return sorted(os.path.abspath(p) for p in glob.glob(pattern))
        parts = pattern.split("/")
        plain = next(i for i, part in enumerate(parts) if glob.has_magic(part))
        head = "/".join(parts[:plain]) or "/"
        real_head = self.fs(head)
        if head in self.broken:
            self.broken[pattern] = self.broken[head]
            return []
        matches = glob.glob(os.path.join(real_head, *parts[plain:]))
        return sorted(os.path.normpath(os.path.join(head, os.path.relpath(m, real_head))) for m in matches)

    def include(self, directive, file, parent, stack):
        pattern = directive.args[0]
        written_absolute = os.path.isabs(pattern)
        if not written_absolute:
            pattern = os.path.join(self.base, pattern)
        # nginx sorts glob matches; a glob may match nothing, a plain name must exist.
        expanded = []
        matches = self.glob(pattern)
        if written_absolute and self.tree is not None:
            self.watch_outside(file, directive.line, os.path.normpath(pattern),
                               [os.path.normpath(p) for p in matches if os.path.exists(p)], "include")
        if pattern in self.broken:
            self.problem(INCLUDE_ERROR, "cannot read include %s: %s" % (pattern, self.broken[pattern]),
                         file, directive.line, "make the link lead to a file inside the tree")
        for path in matches:
            path = os.path.normpath(path)
            real = self.fs(path)
            if path in self.broken:
                self.problem(INCLUDE_ERROR, "cannot read included file %s: %s" % (path, self.broken[path]),
                             file, directive.line, "make the link lead to a file inside the tree")
                continue
            if (self.tree is not None and _within(path, self.tree) and os.path.islink(real)
                    and os.readlink(real).startswith("/")):
                # A sites-enabled link copied with the tree, written for the real host.
                target = os.path.normpath(os.readlink(real))
                self.watch_outside(file, directive.line, target, [target] if os.path.exists(target) else [],
                                   "the link %s to" % path)
            if path in stack:
                self.problem(INCLUDE_ERROR, "include cycle: %s includes itself again via %s"
                             % (path, directive.file), file, directive.line,
                             "remove the include that closes the loop")
                continue
            if len(stack) >= MAX_INCLUDE_DEPTH:
                self.problem(INCLUDE_ERROR, "includes nested deeper than %d files" % MAX_INCLUDE_DEPTH,
                             file, directive.line)
                continue
            if os.path.isdir(real):
                self.problem(INCLUDE_ERROR, "include %s is a directory" % path, file,
                             directive.line, "include the files in it with a glob: %s/*.conf" % path)
                continue
            if not os.path.exists(real):
                self.problem(INCLUDE_ERROR, "included file %s does not exist%s" % (
                    path, " (read as %s)" % real if real != path else ""), file, directive.line,
                    "create it, fix the path (relative paths start at %s), "
                    "or use a glob if it may be absent" % self.base)
                continue
            statements = self.parse_file(path, (file, directive.line))
            if statements is not None:
                expanded.extend(self.build(statements, path, parent, stack + (path,)))
        return expanded
