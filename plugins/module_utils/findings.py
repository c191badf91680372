# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules and the findings they produce."""

from __future__ import annotations

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (INFO, WARNING, ERROR)
_RANK = {INFO: 0, WARNING: 1, ERROR: 2}

# What a rule needs to see to judge (Rule.scope). DIRECTIVE: one directive and the blocks around
# it, as written; its findings hold in any tree and in any branch of a template (the lint rule runs
# these on Jinja files). FILE: several directives of the file together, or the nginx that reads it
# (duplicates, misspelt names); true for the file whatever the rest of the tree holds. TREE: the
# whole configuration (an upstream or certificate defined elsewhere, includes relative to nginx's
# folder); the engine holds these back on a fragment.
DIRECTIVE, FILE, TREE = "directive", "file", "tree"
SCOPES = (DIRECTIVE, FILE, TREE)

# The line of a rule's bad example where its finding must appear ends with this.
EXPECT_MARKER = "# <-"


def severity_rank(severity):
    return _RANK[severity]


def at_least(severity, threshold):
    """True when ``severity`` is ``threshold`` or worse."""
    return _RANK[severity] >= _RANK[threshold]


class Rule:
    """A check: a stable id, a severity, why it matters, and two examples.

    ``bad`` must yield exactly this rule, once, on the line marked with
    ``# <-``; ``good`` must yield nothing. ``scope`` (DIRECTIVE, FILE, TREE)
    is what it needs to see. The rule's doc page and its tests
    are made from these. ``check(model)`` yields ``(directive, message, hint)``;
    rules without one are reported by the loader or the engine itself.
    """

    def __init__(self, id, severity, summary, why, bad, good, scope, check=None, needs_nginx=False,
                 needs_probe=False, example_path="nginx.conf", needs_host_file=None):
        if scope not in SCOPES:
            raise ValueError("rule %s: scope must be one of %s" % (id, ", ".join(SCOPES)))
        self.id = id
        self.scope = scope
        self.severity = severity
        self.summary = summary
        self.why = " ".join(why.split())
        self.bad = _dedent(bad)
        self.good = _dedent(good)
        self.check = check
        self.needs_nginx = needs_nginx
        self.needs_probe = needs_probe  # found by connecting to the backends (backends.probe_into)
        self.example_path = example_path  # where the examples stand, in a folder of their own
        self.needs_host_file = needs_host_file  # a file of this machine the bad example reads

    @property
    def bad_line(self):
        """The 1-based line of ``bad`` where the finding is expected."""
        for number, line in enumerate(self.bad.splitlines(), 1):
            if line.rstrip().endswith(EXPECT_MARKER) or EXPECT_MARKER + " " in line:
                return number
        return None

    def as_dict(self):
        return {"id": self.id, "severity": self.severity, "scope": self.scope, "summary": self.summary,
                "why": self.why, "bad": self.bad, "good": self.good}


def _dedent(text):
    lines = text.strip("\n").splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(line[cut:] for line in lines) + "\n"


class Finding:
    """One problem at one place."""

    __slots__ = ("rule", "severity", "message", "file", "line", "directive", "context", "hint")

    def __init__(self, rule, severity, message, file, line, directive="", context="", hint=""):
        self.rule = rule
        self.severity = severity
        self.message = message
        self.file = file
        self.line = line
        self.directive = directive
        self.context = context
        self.hint = hint

    def as_dict(self):
        return {"rule": self.rule, "severity": self.severity, "message": self.message,
                "file": self.file, "line": self.line, "directive": self.directive,
                "context": self.context, "hint": self.hint}

    def one_line(self, hint=False):
        """The finding as every message writes it: ``file:line: severity[rule] message``."""
        return one_line(self.as_dict(), hint)

    def sort_key(self):
        return (self.file or "", self.line or 0, -_RANK[self.severity], self.rule)

    def __repr__(self):
        return "Finding(%s %s:%s %s)" % (self.rule, self.file, self.line, self.message)


def one_line(finding, hint=False):
    """A finding (a Finding's ``as_dict``, as modules return them) on one line; ``hint`` adds its help."""
    text = "%s:%s: %s[%s] %s" % (finding["file"], finding["line"] or "-", finding["severity"], finding["rule"],
                                 finding["message"])
    return text + " (help: %s)" % finding["hint"] if hint and finding.get("hint") else text
