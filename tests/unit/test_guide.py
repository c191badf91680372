"""docs/guide/: every command the guide shows is run, and its output and exit status compared.

The pages are Markdown with fenced blocks in four formats (docs/guide/README.md, "How to read
the exercises", is the reader's version of this):

- ``console``: exercises. Each ``$ nginx-preflight ARGS`` line is followed by its output
  (standard output and standard error, in the order written, as a terminal shows them), then
  ``$ echo $?`` and the exit status. Nothing else may start with ``$ ``. Commands run from the
  repository root, in-process through ``cli.main`` (the code the installed command runs; one test
  runs an exercise as ``python -m`` CLI_MODULE too and compares). The local nginx's version is
  asked as the command does; only listen-http2-deprecated depends on it, and no exercise uses it.
- ``yaml``: Ansible, pre-commit, ansible-lint or CI snippets. Not run (they need root, a host,
  a running nginx), but parsed, and every ``preflight.nginx`` module, role and option they use
  must exist (modules' DOCUMENTATION with their doc fragments, roles' meta/argument_specs.yml,
  suboptions too; pre-commit hook ids against .pre-commit-hooks.yaml).
- ``nginx``, ``sh``, ``ini``: a file under examples/guide/, shown whole: the first line is
  ``# file: PATH`` and the rest must equal that file.
- ``text``: what nginx, curl or ss printed on nginx 1.22 (recorded, not run).

Any other block, a block without a language, a ``$ `` line of another form, or a ``$ `` line
outside a console block fails.

The outputs are compared exactly; nothing varies between runs. When the tool's wording changes
on purpose (or an example file was edited), refresh every shown output and file from the real
ones with

    PREFLIGHT_UPDATE_GUIDE=1 pytest tests/unit/test_guide.py

then read the diff (git diff docs/guide) before committing it.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml

from ansible_collections.preflight.nginx.plugins.module_utils.cli import main as cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUIDE = os.path.join(ROOT, "docs", "guide")
EXAMPLES = os.path.join(ROOT, "examples", "guide")
UPDATE = os.environ.get("PREFLIGHT_UPDATE_GUIDE") == "1"
PROGRAM = "nginx-preflight"
CLI_MODULE = "ansible_collections.preflight.nginx.plugins.module_utils.cli.main"
STATUS = "$ echo $?"
FILE_BLOCKS = ("nginx", "sh", "ini")
KNOWN = ("console", "yaml", "text") + FILE_BLOCKS
FENCE = re.compile(r"^```(.*)$")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def pages():
    return sorted(os.path.join(GUIDE, name) for name in os.listdir(GUIDE) if name.endswith(".md"))


def page_ids():
    return [os.path.basename(p) for p in pages()]


class Block:
    def __init__(self, page, lang, first, lines):
        self.page, self.lang, self.first, self.lines = page, lang, first, lines  # first: 1-based line of the fence

    def where(self, offset=0):
        return "%s:%d" % (os.path.relpath(self.page, ROOT), self.first + 1 + offset)


def blocks(page):
    """The fenced blocks of a page; an unclosed fence is an error naming its line."""
    found, current = [], None
    with open(page, encoding="utf-8") as handle:
        for number, line in enumerate(handle.read().split("\n"), 1):
            match = FENCE.match(line)
            if current is None:
                if match:
                    current = Block(page, match.group(1).strip(), number, [])
            elif line == "```":
                found.append(current)
                current = None
            else:
                current.lines.append(line)
    assert current is None, "%s:%d: a ``` block is never closed" % (os.path.relpath(page, ROOT), current.first)
    return found


class Exercise:
    def __init__(self, block, offset, argv, shown, status, status_offset):
        self.block, self.offset, self.argv = block, offset, argv
        self.shown, self.status, self.status_offset = shown, status, status_offset


def exercises(block):
    """Split a console block into (command, shown output, shown exit status); raise on any other form."""
    lines, found, i = block.lines, [], 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("$ "):
            raise AssertionError("%s: console blocks hold only '$ %s ...' commands and their output; "
                                 "this line has no command before it: %r" % (block.where(i), PROGRAM, line))
        if line == STATUS:
            raise AssertionError("%s: '%s' must follow a %s command and its output" % (block.where(i), STATUS, PROGRAM))
        argv = shlex.split(line[2:], comments=True)
        if not argv or argv[0] != PROGRAM:
            raise AssertionError("%s: the test can run only '$ %s ...' and '%s'; got %r"
                                 % (block.where(i), PROGRAM, STATUS, line))
        j = i + 1
        while j < len(lines) and not lines[j].startswith("$ "):
            j += 1
        shown = lines[i + 1:j]
        if j >= len(lines) or lines[j] != STATUS or j + 1 >= len(lines) or not re.fullmatch(r"\d+", lines[j + 1]):
            raise AssertionError("%s: after %r and its output, write '%s' and the exit status on the next line"
                                 % (block.where(i), line, STATUS))
        found.append(Exercise(block, i, argv[1:], shown, int(lines[j + 1]), j))
        i = j + 2
    return found


def run(argv):
    """The CLI as a terminal shows it: stdout and stderr interleaved, from the repository root."""
    buffer = io.StringIO()
    cwd, columns = os.getcwd(), os.environ.get("COLUMNS")
    os.chdir(ROOT)
    os.environ["COLUMNS"] = "80"  # argparse wraps --help and usage errors to the terminal's width
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            code = cli.main(list(argv), buffer, buffer)
    finally:
        os.chdir(cwd)
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns
    text = buffer.getvalue()
    return code, text[:-1].split("\n") if text.endswith("\n") else (text.split("\n") if text else [])


def render(lines, results):
    """A console block's lines with each exercise's output and status replaced by the real ones."""
    out, done = [], 0
    for exercise, (code, output) in results:
        out.extend(lines[done:exercise.offset + 1])
        out.extend(output)
        out.extend([STATUS, str(code)])
        done = exercise.status_offset + 2
    out.extend(lines[done:])
    return out


@pytest.mark.parametrize("page", pages(), ids=page_ids())
def test_every_block_has_a_known_format(page):
    inside = set()
    for block in blocks(page):
        inside.update(range(block.first, block.first + len(block.lines) + 2))
    with open(page, encoding="utf-8") as handle:
        for number, line in enumerate(handle.read().split("\n"), 1):
            assert number in inside or not line.startswith("$ "), (
                "%s:%d: a '$ ' command outside a console block is never run" % (os.path.relpath(page, ROOT), number))
    for block in blocks(page):
        assert block.lang in KNOWN, "%s: a ``` block must be one of %s, not %r (see tests/unit/test_guide.py)" % (
            block.where(-1), ", ".join(KNOWN), block.lang)
        if block.lang == "console":
            exercises(block)
        else:
            # A prompt anywhere else would be a command nobody runs: show recorded output without one.
            prompts = [i for i, line in enumerate(block.lines) if line.startswith("$ ")]
            assert not prompts, "%s: a '$ ' command outside a console block is never run; write it as an " \
                                "exercise or describe it in the text" % block.where(prompts[0])


@pytest.mark.parametrize("page", pages(), ids=page_ids())
def test_every_command_shows_its_real_output(page):
    with open(page, encoding="utf-8") as handle:
        text = handle.read().split("\n")
    failures, rewritten = [], list(text)
    # Bottom-up, so that rewriting one block does not move the lines of those above it.
    for block in reversed([b for b in blocks(page) if b.lang == "console"]):
        results = []
        for exercise in exercises(block):
            code, output = run(exercise.argv)
            results.append((exercise, (code, output)))
            if (code, output) != (exercise.status, exercise.shown):
                failures.append("%s: $ %s %s\n--- shown (exit %d)\n%s\n+++ real (exit %d)\n%s" % (
                    block.where(exercise.offset), PROGRAM, shlex.join(exercise.argv), exercise.status,
                    "\n".join(exercise.shown), code, "\n".join(output)))
        rewritten[block.first:block.first + len(block.lines)] = render(block.lines, results)
    if UPDATE:
        if rewritten != text:
            with open(page, "w", encoding="utf-8") as handle:
                handle.write("\n".join(rewritten))
        return
    assert not failures, "\n\n".join(reversed(failures)) + (
        "\n\nIf the new wording is intended: PREFLIGHT_UPDATE_GUIDE=1 pytest tests/unit/test_guide.py")


def test_in_process_runs_print_what_the_command_prints():
    """The exercises run cli.main in-process for speed; the real command prints the same."""
    exercise = next(e for b in blocks(os.path.join(GUIDE, "01-bind-and-connect.md")) if b.lang == "console"
                    for e in exercises(b))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "collections"))
    done = subprocess.run([sys.executable, "-m", CLI_MODULE] + exercise.argv, cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    assert done.stderr == ""
    assert (done.returncode, done.stdout) == (exercise.status, "\n".join(exercise.shown) + "\n")


def test_every_example_file_is_used_by_a_command():
    used = set()
    for page in pages():
        for block in blocks(page):
            if block.lang != "console":
                continue
            for exercise in exercises(block):
                for arg in exercise.argv:
                    path = os.path.join(ROOT, arg.split("=", 1)[-1])
                    if os.path.isdir(path):
                        used.update(os.path.join(d, f) for d, _s, files in os.walk(path) for f in files)
                    elif os.path.isfile(path):
                        used.add(os.path.normpath(path))
    everything = {os.path.join(d, f) for d, _s, files in os.walk(EXAMPLES) for f in files}
    assert everything, "examples/guide/ is empty"
    unused = sorted(os.path.relpath(p, ROOT) for p in everything - {os.path.normpath(p) for p in used})
    assert not unused, "files under examples/guide/ no guide command uses: %s" % ", ".join(unused)


@pytest.mark.parametrize("page", pages(), ids=page_ids())
def test_shown_files_are_the_example_files(page):
    with open(page, encoding="utf-8") as handle:
        text = handle.read().split("\n")
    rewritten, differ = list(text), []
    for block in reversed(blocks(page)):
        if block.lang not in FILE_BLOCKS:
            continue
        assert block.lines and block.lines[0].startswith("# file: "), (
            "%s: a %s block shows a file: its first line is '# file: examples/guide/...'" % (block.where(), block.lang))
        name = block.lines[0][len("# file: "):].strip()
        path = os.path.join(ROOT, name)
        assert name.startswith("examples/guide/") and os.path.isfile(path), "%s: no file %s" % (block.where(), name)
        with open(path, encoding="utf-8") as handle:
            content = handle.read()
        if "\n".join(block.lines[1:]) + "\n" != content:
            differ.append("%s: the block is not what %s holds" % (block.where(), name))
            rewritten[block.first + 1:block.first + len(block.lines)] = content[:-1].split("\n")
    if UPDATE:
        if rewritten != text:
            with open(page, "w", encoding="utf-8") as handle:
                handle.write("\n".join(rewritten))
        return
    assert not differ, "\n".join(reversed(differ)) + "\n(PREFLIGHT_UPDATE_GUIDE=1 copies the files into the page)"


def _anchors(page):
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    anchors = set()
    with open(page, encoding="utf-8") as handle:
        inside = False
        for line in handle:
            if line.startswith("```"):
                inside = not inside
            elif not inside and line.startswith("#"):
                title = line.lstrip("#").strip().lower()
                anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


@pytest.mark.parametrize("page", pages() + [os.path.join(ROOT, "README.md")],
                         ids=page_ids() + ["README.md"])
def test_links_resolve(page):
    with open(page, encoding="utf-8") as handle:
        text = handle.read()
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # links inside code are not links
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target):
            continue
        if page.endswith("README.md") and os.path.dirname(page) == ROOT and "guide" not in target:
            continue  # the README's other links are not the guide's business
        path, _hash, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
        assert os.path.exists(resolved), "%s: the link %s leads nowhere" % (os.path.relpath(page, ROOT), target)
        if anchor and resolved.endswith(".md"):
            assert anchor in _anchors(resolved), "%s: no heading #%s in %s" % (
                os.path.relpath(page, ROOT), anchor, os.path.relpath(resolved, ROOT))


def test_the_index_lists_every_chapter():
    with open(os.path.join(GUIDE, "README.md"), encoding="utf-8") as handle:
        index = handle.read()
    for page in pages():
        name = os.path.basename(page)
        assert name == "README.md" or "(%s)" % name in index, "docs/guide/README.md does not link %s" % name
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        assert "(docs/guide/README.md)" in handle.read(), "README.md does not link the guide"


# --- YAML snippets: real modules, roles and options -------------------------------------------

def _documentation(path):
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        for target in getattr(node, "targets", []):
            if getattr(target, "id", None) == "DOCUMENTATION":
                return yaml.safe_load(node.value.value)
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.Assign) and getattr(item.targets[0], "id", None) == "DOCUMENTATION":
                    return yaml.safe_load(item.value.value)
    raise AssertionError("no DOCUMENTATION in %s" % path)


def module_options(name):
    """A module's options (with its doc fragments'), or None when there is no such module."""
    path = os.path.join(ROOT, "plugins", "modules", name + ".py")
    if not os.path.isfile(path):
        return None
    doc = _documentation(path)
    options = dict(doc.get("options") or {})
    fragments = doc.get("extends_documentation_fragment") or []
    for fragment in [fragments] if isinstance(fragments, str) else fragments:
        if fragment.startswith("preflight.nginx."):
            fragment_doc = _documentation(os.path.join(ROOT, "plugins", "doc_fragments",
                                                       fragment.split(".")[2] + ".py"))
            options.update(fragment_doc.get("options") or {})
    return options


def role_options(name):
    path = os.path.join(ROOT, "roles", name, "meta", "argument_specs.yml")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["argument_specs"]["main"]["options"]


def _aliases(options):
    names = dict(options)
    for spec in options.values():
        for alias in (spec or {}).get("aliases", []):
            names[alias] = spec
    return names


def _check_options(where, given, options, problems):
    options = _aliases(options)
    for key, value in given.items():
        spec = options.get(key)
        if spec is None:
            problems.append("%s: unknown option %r (known: %s)" % (where, key, ", ".join(sorted(options))))
            continue
        sub = (spec or {}).get("options") or (spec or {}).get("suboptions")
        items = value if isinstance(value, list) else [value]
        if sub:
            for item in items:
                if isinstance(item, dict):
                    _check_options("%s.%s" % (where, key), item, sub, problems)


# Role options whose items are other options: what the role's argument spec says they take.
def _items_of(role, option):
    if option in ("gate_health_checks", "monitor_checks"):
        items = dict(module_options("http_check"))
        if option == "monitor_checks":
            items["name"] = {}
        return items
    if option == "gate_files":
        # The spec lists an item's keys in its description, as C(key).
        description = " ".join(role_options(role)[option]["description"])
        return {key: {} for key in re.findall(r"C\(([a-z_0-9]+)\)", description)}
    return None


def _check_role_vars(where, role, given, problems):
    options = role_options(role)
    _check_options(where, given, options, problems)
    for option, value in given.items():
        items = _items_of(role, option)
        for item in value if items is not None and isinstance(value, list) else []:
            if isinstance(item, dict):
                _check_options("%s.%s" % (where, option), item, items, problems)


def _hook_ids():
    with open(os.path.join(ROOT, ".pre-commit-hooks.yaml"), encoding="utf-8") as handle:
        return {hook["id"] for hook in yaml.safe_load(handle)}


def yaml_problems(where, data):
    """What in a snippet names a preflight.nginx module, role, option or hook that does not exist."""
    problems = []

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            if isinstance(key, str) and key.startswith("preflight.nginx."):
                options = module_options(key.split(".", 2)[2])
                if options is None:
                    problems.append("%s: no module %s in plugins/modules/" % (where, key))
                elif isinstance(value, dict):
                    _check_options("%s: %s" % (where, key), value, options, problems)
        role = node.get("role")
        if isinstance(role, str) and role.startswith("preflight.nginx."):
            name = role.split(".", 2)[2]
            if role_options(name) is None:
                problems.append("%s: no role %s in roles/" % (where, role))
            else:
                _check_role_vars("%s: role %s vars" % (where, role), name, node.get("vars") or {}, problems)
        for listed in node.get("roles") or []:
            if isinstance(listed, str) and listed.startswith("preflight.nginx.") and \
                    role_options(listed.split(".", 2)[2]) is None:
                problems.append("%s: no role %s in roles/" % (where, listed))
        if "hooks" in node and "preflight" in str(node.get("repo", "")):
            for hook in node["hooks"]:
                if hook.get("id") not in _hook_ids():
                    problems.append("%s: no pre-commit hook %r in .pre-commit-hooks.yaml" % (where, hook.get("id")))
        for value in node.values():
            walk(value)

    walk(data)
    return problems


@pytest.mark.parametrize("page", pages(), ids=page_ids())
def test_yaml_snippets_parse_and_name_real_options(page):
    problems = []
    for block in blocks(page):
        if block.lang != "yaml":
            continue
        try:
            data = yaml.safe_load("\n".join(block.lines))
        except yaml.YAMLError as exc:
            problems.append("%s: not YAML: %s" % (block.where(), exc))
            continue
        assert isinstance(data, (list, dict)), "%s: a snippet is a list or a mapping" % block.where()
        problems.extend(yaml_problems(block.where(), data))
    assert not problems, "\n".join(problems)


def test_snippet_checks_catch_wrong_names():
    """The YAML checks above would fail on a misspelt module, role or option."""
    assert yaml_problems("x", [{"preflight.nginx.validate": {"path": "/etc/nginx/nginx.conf"}}]) == []
    assert yaml_problems("x", [{"preflight.nginx.validat": {}}])
    assert yaml_problems("x", [{"preflight.nginx.validate": {"fail_on_level": "error"}}])
    assert yaml_problems("x", [{"role": "preflight.nginx.gate", "vars": {"gate_file": []}}])
    assert yaml_problems("x", [{"role": "preflight.nginx.gate", "vars": {
        "gate_health_checks": [{"url": "http://127.0.0.1/", "statuses": [200]}]}}])
    assert yaml_problems("x", [{"role": "preflight.nginx.gate", "vars": {
        "gate_files": [{"source": "a.j2", "dest": "/etc/nginx/conf.d/a.conf"}]}}])
    assert yaml_problems("x", [{"role": "preflight.nginx.monitor", "vars": {
        "monitor_checks": [{"name": "shop", "uri": "http://127.0.0.1/"}]}}])
    assert yaml_problems("x", [{"role": "preflight.nginx.gate", "vars": {
        "gate_files": [{"src": "a.j2", "dest": "/etc/nginx/conf.d/a.conf"}],
        "gate_health_checks": [{"url": "http://127.0.0.1/", "status": [200], "deadline": 5}]}}]) == []
    assert yaml_problems("x", [{"role": "preflight.nginx.gait"}])
    assert yaml_problems("x", {"repos": [{"repo": "https://github.com/preflight-nginx/preflight.nginx",
                                          "hooks": [{"id": "nginx-preflight-all"}]}]})


def test_console_format_errors_are_named():
    """A $ line the test cannot run, or a command without its exit status, fails with its line."""
    def block(*lines):
        return Block(os.path.join(GUIDE, "x.md"), "console", 1, list(lines))

    with pytest.raises(AssertionError, match="can run only"):
        exercises(block("$ curl http://127.0.0.1/", "$ echo $?", "0"))
    with pytest.raises(AssertionError, match="exit status"):
        exercises(block("$ nginx-preflight rules"))
    with pytest.raises(AssertionError, match="no command before it"):
        exercises(block("some text", "$ nginx-preflight rules", "$ echo $?", "0"))
    assert [e.argv for e in exercises(block("$ nginx-preflight explain invalid-port  # why", "out",
                                            "$ echo $?", "0"))] == [["explain", "invalid-port"]]
