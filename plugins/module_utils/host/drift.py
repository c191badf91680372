# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files the gate manages that changed since it last committed them (a hand edit, another tool)."""

from __future__ import annotations

import os

from ansible_collections.preflight.nginx.plugins.module_utils.host import transaction

sha256_of = transaction.sha256_of  # one way to fingerprint a file, the gate's


def live_state(path):
    """sha256 of the file now, None when it is absent or a link, or ("unreadable", reason)."""
    if os.path.islink(path) or not os.path.isfile(path):
        return None
    try:
        return sha256_of(path)
    except OSError as exc:
        return ("unreadable", exc.strerror or str(exc))


def _key(finding):
    # Without the line: a hand edit above a finding moves it, it does not bring it.
    return "%s|%s" % (finding.get("rule"), finding.get("message"))


def check(backup_dir, findings=(), baseline=None):
    """Files whose live bytes differ from the gate's last commit; returns (drifted, baseline).

    ``findings`` are the live config's findings (dicts with file, line, rule, severity, message).
    ``baseline`` ({path: [finding keys]}) holds what each managed file had while it still matched
    the commit; the findings a drifted file has beyond those are what the change brought (all of
    them when the file drifted before the monitor ever saw it clean). The baseline returned is
    updated from the files that match their commit now.
    Raises transaction.TransactionError for a backup directory that cannot be trusted.
    """
    transaction.check_trusted(backup_dir)
    baseline = dict(baseline or {})
    drifted = []
    for path, committed in sorted(transaction.committed_files(backup_dir).items()):
        # nginx names a site by the link it read it through (sites-enabled/shop): compare real paths.
        real = os.path.realpath(path)
        in_file = [f for f in findings if f.get("file") and os.path.realpath(f["file"]) == real]
        now = live_state(path)
        if isinstance(now, tuple):
            change = "cannot be read (%s)" % now[1]
        elif now == committed:
            baseline[path] = sorted({_key(f) for f in in_file})
            continue
        elif now is None:
            change = "was removed"
        elif committed is None:
            change = "was created"
        else:
            change = "was changed"
        known = set(baseline.get(path, ()))
        drifted.append({"path": path, "change": change, "findings": [f for f in in_file if _key(f) not in known]})
    return drifted, baseline
