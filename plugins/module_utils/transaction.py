# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshot files before a change and put them back byte for byte.

A transaction is a folder in the backup directory holding a copy of every
file about to change (with owner, group and mode) and a journal that says
which files did not exist. While a transaction is open, the file ACTIVE
names it: a run that died half-way leaves ACTIVE behind, and the next run
restores that snapshot before doing anything else.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
import time

ACTIVE = "ACTIVE"
JOURNAL = "journal.json"


class TransactionError(Exception):
    pass


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomic(path, data, mode=0o600, uid=-1, gid=-1):
    """Write bytes to ``path`` all at once: readers see the old file or the new one, never half."""
    directory = os.path.dirname(path) or "."
    fd, temp = tempfile.mkstemp(prefix=".preflight-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        if (uid, gid) != (-1, -1):
            os.chown(temp, uid, gid)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def active(backup_dir):
    """The open transaction's folder, or None."""
    marker = os.path.join(backup_dir, ACTIVE)
    if not os.path.exists(marker):
        return None
    with open(marker) as handle:
        name = handle.read().strip()
    folder = os.path.join(backup_dir, name)
    if not name or os.sep in name or not os.path.isfile(os.path.join(folder, JOURNAL)):
        raise TransactionError("%s names %r, which is not a transaction in %s" % (marker, name, backup_dir))
    return folder


def begin(backup_dir, paths, label=""):
    """Snapshot ``paths``; returns the journal. Fails if one is already open."""
    if active(backup_dir) is not None:
        raise TransactionError("a transaction is already open in %s; recover it first" % backup_dir)
    if not os.path.isdir(backup_dir):
        try:
            os.makedirs(backup_dir, 0o700)
        except OSError as exc:
            raise TransactionError("cannot create backup directory %s: %s" % (backup_dir, exc.strerror or exc)) from exc
    if not os.access(backup_dir, os.W_OK | os.X_OK):
        raise TransactionError("backup directory %s is not writable" % backup_dir)
    now = time.time()
    name = "txn-%s.%06d" % (time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)), int(now % 1 * 1e6))
    folder = os.path.join(backup_dir, name)
    os.mkdir(folder, 0o700)
    entries = []
    try:
        for index, path in enumerate(paths):
            path = os.path.abspath(path)
            entry = {"path": path, "existed": os.path.lexists(path)}
            if entry["existed"]:
                info = os.stat(path)
                if not stat.S_ISREG(info.st_mode):
                    raise TransactionError("%s is not a regular file; refusing to manage it" % path)
                copy = os.path.join(folder, "%04d" % index)
                shutil.copyfile(path, copy)
                entry.update(copy=os.path.basename(copy), sha256=_sha256(copy), mode=stat.S_IMODE(info.st_mode),
                             uid=info.st_uid, gid=info.st_gid)
                if entry["sha256"] != _sha256(path):
                    raise TransactionError("%s changed while it was being backed up" % path)
            entries.append(entry)
        journal = {"name": name, "label": label, "started": time.time(), "files": entries}
        write_atomic(os.path.join(folder, JOURNAL), json.dumps(journal, indent=1).encode())
        write_atomic(os.path.join(backup_dir, ACTIVE), name.encode() + b"\n", 0o644)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return journal


def _load(folder):
    with open(os.path.join(folder, JOURNAL)) as handle:
        return json.load(handle)


def rollback(backup_dir):
    """Restore the open transaction's files; returns the paths restored or removed."""
    folder = active(backup_dir)
    if folder is None:
        return []
    journal = _load(folder)
    touched = []
    for entry in journal["files"]:
        path = entry["path"]
        if entry["existed"]:
            copy = os.path.join(folder, entry["copy"])
            with open(copy, "rb") as handle:
                data = handle.read()
            if os.path.lexists(path) and os.path.isfile(path) and _sha256(path) == entry["sha256"] \
                    and stat.S_IMODE(os.stat(path).st_mode) == entry["mode"]:
                continue
            directory = os.path.dirname(path)
            if not os.path.isdir(directory):
                os.makedirs(directory)
            write_atomic(path, data, entry["mode"])
            try:
                os.chown(path, entry["uid"], entry["gid"])
            except PermissionError:
                pass  # not root: the file keeps our ownership, as it had before
            if _sha256(path) != entry["sha256"]:
                raise TransactionError("restoring %s did not give back the same bytes" % path)
            touched.append(path)
        elif os.path.lexists(path):
            os.unlink(path)
            touched.append(path)
    journal["rolled_back"] = time.time()
    write_atomic(os.path.join(folder, JOURNAL), json.dumps(journal, indent=1).encode())
    os.unlink(os.path.join(backup_dir, ACTIVE))
    return touched


def commit(backup_dir, keep=5):
    """Close the open transaction and keep the newest ``keep`` snapshots."""
    folder = active(backup_dir)
    if folder is not None:
        journal = _load(folder)
        journal["committed"] = time.time()
        write_atomic(os.path.join(folder, JOURNAL), json.dumps(journal, indent=1).encode())
        os.unlink(os.path.join(backup_dir, ACTIVE))
    return prune(backup_dir, keep)


def prune(backup_dir, keep):
    if not os.path.isdir(backup_dir):
        return []
    snapshots = sorted(d for d in os.listdir(backup_dir)
                       if d.startswith("txn-") and os.path.isdir(os.path.join(backup_dir, d)))
    removed = snapshots[:-keep] if keep > 0 else snapshots
    for name in removed:
        shutil.rmtree(os.path.join(backup_dir, name))
    return removed
