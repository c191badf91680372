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

import contextlib
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


class RollbackFailed(TransactionError):
    """Some files could not be put back; ``restored`` were, ``failed`` maps the others to why."""

    def __init__(self, restored, failed):
        TransactionError.__init__(self, "; ".join("%s: %s" % item for item in sorted(failed.items())))
        self.restored = restored
        self.failed = failed


KEPT_PREFIX = ".preflight-old-"
RESERVE = "reserve"


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomic(path, data, mode=0o600, uid=-1, gid=-1, sync=True):
    """Write bytes to ``path`` all at once: readers see the old file or the new one, never half.

    ``sync=False`` leaves the flush to disk to the caller (sync_to_disk), or to nobody for a
    throwaway copy."""
    fd, temp = tempfile.mkstemp(prefix=".preflight-", dir=os.path.dirname(path) or ".")
    try:
        _fill(fd, temp, data, mode, uid, gid, sync)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def write_new(path, data, mode=0o600, uid=-1, gid=-1, sync=True):
    """Write bytes to a new file ``path`` (staged for a later rename), flushed to disk unless
    ``sync=False`` (the caller then flushes a batch at once: sync_to_disk)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        _fill(fd, path, data, mode, uid, gid, sync)
    except BaseException:
        os.unlink(path)
        raise


def _fill(fd, path, data, mode, uid, gid, sync):
    """Write ``data`` through ``fd`` (the new file ``path``, still 0600), then give it its mode and owner."""
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        if sync:
            os.fsync(handle.fileno())
    os.chmod(path, mode)
    if (uid, gid) != (-1, -1):
        os.chown(path, uid, gid)


def _libc_syncfs():
    try:
        import ctypes

        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (ImportError, OSError, AttributeError):
        return None  # not Linux (or no glibc): each file is fsynced instead
    syncfs.argtypes = [ctypes.c_int]
    return syncfs


_SYNCFS = _libc_syncfs()


def sync_to_disk(paths):
    """Make the files at ``paths`` durable before anything relies on them (a rename into place,
    a journal naming them).

    An fsync per file costs a journal commit each: thousands of files take seconds. Linux's
    syncfs(2) flushes a whole file system at once, so a batch costs one flush per file system;
    where it is missing or fails, each file is fsynced.
    """
    by_device = {}
    for path in paths:
        directory = os.path.dirname(path) or "."
        try:
            by_device.setdefault(os.stat(directory).st_dev, (directory, []))[1].append(path)
        except OSError:
            continue  # gone: nothing to flush
    for directory, files in by_device.values():
        if _SYNCFS is not None:
            fd = os.open(directory, os.O_RDONLY)
            try:
                if _SYNCFS(fd) == 0:
                    continue
            finally:
                os.close(fd)
        for path in files:
            if os.path.isfile(path) and not os.path.islink(path):
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)


def check_trusted(backup_dir):
    """Refuse a backup directory someone else could have written a journal into.

    A journal says which bytes go back to which paths; replaying one planted by another user
    would let them write chosen bytes to chosen files as root.
    """
    if not os.path.isdir(backup_dir):
        return
    info = os.lstat(backup_dir)
    if stat.S_ISLNK(info.st_mode):
        raise TransactionError("backup directory %s is a symbolic link; refusing to trust it" % backup_dir)
    if info.st_uid != os.geteuid():
        raise TransactionError("backup directory %s belongs to uid %d, not to the user running the deploy "
                               "(uid %d); refusing to trust it" % (backup_dir, info.st_uid, os.geteuid()))
    if info.st_mode & 0o022:
        raise TransactionError("backup directory %s can be written by others (mode %04o); refusing to trust it: "
                               "chmod 700 it, after checking what is in it" % (backup_dir, stat.S_IMODE(info.st_mode)))


def make_link(target, path):
    """Point ``path`` at ``target`` all at once (a new link renamed over whatever was there)."""
    directory = os.path.dirname(path) or "."
    temp = os.path.join(directory, ".preflight-link-%d" % os.getpid())
    if os.path.lexists(temp):
        os.unlink(temp)
    os.symlink(target, temp)
    try:
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def active(backup_dir):
    """The open transaction's folder, or None."""
    marker = os.path.join(backup_dir, ACTIVE)
    if not os.path.exists(marker):
        return None
    check_trusted(backup_dir)
    with open(marker) as handle:
        name = handle.read().strip()
    folder = os.path.join(backup_dir, name)
    if not name or os.sep in name or not os.path.isfile(os.path.join(folder, JOURNAL)):
        raise TransactionError("%s names %r, which is not a transaction in %s" % (marker, name, backup_dir))
    return folder


def begin(backup_dir, paths, label="", manage_dirs=True):
    """Snapshot ``paths``; returns the journal. Fails if one is already open.

    Folders that must be created for a new path are recorded, so that a rollback removes
    them again (``manage_dirs``). Each existing file also gets a name beside it (``kept``) for
    ``keep_old``; and the snapshot holds a reserve of space, freed when the rollback needs it:
    a rollback never needs new space, whatever filled the disk meanwhile.
    """
    check_trusted(backup_dir)
    if active(backup_dir) is not None:
        raise TransactionError("a transaction is already open in %s; recover it first" % backup_dir)
    if not os.path.isdir(backup_dir):
        try:
            os.makedirs(backup_dir, 0o700)
            os.chmod(backup_dir, 0o700)  # whatever the umask
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
                entry["kept"] = os.path.join(os.path.dirname(path), "%s%s-%d" % (KEPT_PREFIX, name[4:], index))
            if entry["existed"] and os.path.islink(path):
                entry["link"] = os.readlink(path)  # a sites-enabled link: restored as the same link
            elif entry["existed"]:
                info = os.lstat(path)
                if not stat.S_ISREG(info.st_mode):
                    raise TransactionError("%s is not a regular file; refusing to manage it" % path)
                copy = os.path.join(folder, "%04d" % index)
                _copy_private(path, copy)
                entry.update(copy=os.path.basename(copy), sha256=sha256_of(copy), mode=stat.S_IMODE(info.st_mode),
                             uid=info.st_uid, gid=info.st_gid, xattrs=xattrs_of(path))
                if entry["sha256"] != sha256_of(path):
                    raise TransactionError("%s changed while it was being backed up" % path)
            elif manage_dirs:
                entry["created_dirs"] = _missing_dirs(os.path.dirname(path))
            entries.append(entry)
        # The copies must be on disk before a journal names them: a crash must not leave a
        # snapshot that restores empty files.
        sync_to_disk([os.path.join(folder, entry["copy"]) for entry in entries if entry.get("copy")])
        journal = {"name": name, "label": label, "started": time.time(), "files": entries, "state": "snapshot",
                   "sequence": _next_sequence(backup_dir)}
        encoded = json.dumps(journal, indent=1).encode()
        write_atomic(os.path.join(folder, JOURNAL), encoded)
        write_atomic(os.path.join(folder, RESERVE), bytes(65536 + 4 * len(encoded)))
        write_atomic(os.path.join(backup_dir, ACTIVE), name.encode() + b"\n", 0o644)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return journal


def _load(folder):
    with open(os.path.join(folder, JOURNAL)) as handle:
        return json.load(handle)


def keep_old(backup_dir):
    """Hard-link each existing file of the open transaction to its ``kept`` name beside it.

    Called just before the new files are renamed over the old ones: the old file (its inode,
    with mode, owner, ACLs and every xattr) then survives the rename, and a rollback is a rename
    back, needing no space at all. Where a hard link cannot be made, the snapshot copy serves.
    """
    folder = active(backup_dir)
    for entry in _load(folder)["files"] if folder else ():
        if entry.get("kept") and not os.path.lexists(entry["kept"]):
            try:
                os.link(entry["path"], entry["kept"], follow_symlinks=False)
            except OSError:
                pass


def _restore(folder, entry):
    """Put one file back; True when something had to be done."""
    path = entry["path"]
    kept = entry.get("kept")
    if kept and os.path.lexists(kept):
        if entry.get("link") is not None:
            usable = os.path.islink(kept) and os.readlink(kept) == entry["link"]
        else:
            usable = not os.path.islink(kept) and sha256_of(kept) == entry["sha256"]
        if usable:
            if entry.get("link") is None and _intact(path, entry):
                os.unlink(kept)
                return False
            os.replace(kept, path)  # the very file that was live: nothing to copy, no space needed
            return True
        os.unlink(kept)
    if entry.get("link") is not None:
        if os.path.islink(path) and os.readlink(path) == entry["link"]:
            return False
        make_link(entry["link"], path)
        return True
    if entry["existed"]:
        if _intact(path, entry):
            return False
        with open(os.path.join(folder, entry["copy"]), "rb") as handle:
            data = handle.read()
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            os.makedirs(directory)
        write_atomic(path, data, entry["mode"])
        try:
            os.chown(path, entry["uid"], entry["gid"])
        except PermissionError:
            pass  # not root: the file keeps our ownership, as it had before
        set_xattrs(path, entry.get("xattrs") or {})
        if sha256_of(path) != entry["sha256"]:
            raise TransactionError("restoring %s did not give back the same bytes" % path)
        return True
    done = False
    if os.path.lexists(path):
        os.unlink(path)
        done = True
    for directory in reversed(entry.get("created_dirs") or ()):
        try:
            os.rmdir(directory)  # only if empty: something else may have been put there since
        except OSError:
            break
    return done


def rollback(backup_dir):
    """Restore the open transaction's files; returns the paths restored or removed.

    Every file is tried; if one cannot be put back, RollbackFailed says which (and which were),
    the journal says ``rollback failed`` and the transaction stays open for the next run.
    """
    folder = active(backup_dir)
    if folder is None:
        return []
    journal = _load(folder)
    with contextlib.suppress(OSError):
        os.unlink(os.path.join(folder, RESERVE))  # the space the journal writes below may need
    touched = []
    failed = {}
    for entry in journal["files"]:
        try:
            if _restore(folder, entry):
                touched.append(entry["path"])
        except (OSError, TransactionError) as exc:
            failed[entry["path"]] = str(exc)
    if failed:
        journal.update(state="rollback failed", rollback_failed=time.time(), not_restored=failed)
        with contextlib.suppress(OSError):
            write_atomic(os.path.join(folder, JOURNAL), json.dumps(journal, indent=1).encode())
        raise RollbackFailed(touched, failed)
    journal.update(state="rolled back", rolled_back=time.time())
    write_atomic(os.path.join(folder, JOURNAL), json.dumps(journal, indent=1).encode())
    os.unlink(os.path.join(backup_dir, ACTIVE))
    return touched


def mark(backup_dir, state):
    """Record how far the open transaction got (``writing``, ``reloading``): recovery reads it."""
    folder = active(backup_dir)
    if folder is None:
        return
    journal = _load(folder)
    journal["state"] = state
    write_atomic(os.path.join(folder, JOURNAL), json.dumps(journal, indent=1).encode())


def journal_of(backup_dir):
    """The open transaction's journal, or None."""
    folder = active(backup_dir)
    return None if folder is None else _load(folder)


def _intact(path, entry):
    """True when ``path`` is exactly what the snapshot holds: bytes, mode, owner and group."""
    if not os.path.lexists(path) or os.path.islink(path) or not os.path.isfile(path):
        return False
    info = os.stat(path)
    return (sha256_of(path) == entry["sha256"] and stat.S_IMODE(info.st_mode) == entry["mode"]
            and (info.st_uid, info.st_gid) == (entry["uid"], entry["gid"])
            and xattrs_of(path) == (entry.get("xattrs") or {}))


def _copy_private(source, copy):
    """Copy bytes into a file only the owner can read (the snapshot of a 0600 file stays 0600)."""
    fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, open(source, "rb") as handle:
        shutil.copyfileobj(handle, out)


def _missing_dirs(directory):
    """The folders, outermost first, that do not exist on the way to ``directory``."""
    missing = []
    while directory and not os.path.isdir(directory):
        missing.insert(0, directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return missing


def xattrs_of(path):
    """Every extended attribute of a file: user.*, trusted.*, security.* and POSIX ACLs
    (system.posix_acl_*), which say who may read it (not following a link)."""
    if not hasattr(os, "listxattr"):
        return {}
    try:
        return {name: os.getxattr(path, name, follow_symlinks=False).hex()
                for name in os.listxattr(path, follow_symlinks=False)}
    except OSError:
        return {}


def set_xattrs(path, attributes):
    for name, value in attributes.items():
        try:
            os.setxattr(path, name, bytes.fromhex(value))
        except OSError:
            pass  # a file system (or a user) that cannot set it had none of it to restore


def copy_xattrs(source, target, mode=None):
    """Give ``target`` the xattrs and ACLs of ``source`` (a new file replacing it), then ``mode``
    again: chmod after the ACL keeps both, as chmod on the old file would have."""
    attributes = xattrs_of(source)
    if attributes:
        set_xattrs(target, attributes)
        if mode is not None:
            os.chmod(target, mode)


def commit(backup_dir, keep=5):
    """Close the open transaction and keep the newest ``keep`` snapshots."""
    folder = active(backup_dir)
    if folder is not None:
        journal = _load(folder)
        for entry in journal["files"]:
            if entry.get("kept"):
                with contextlib.suppress(OSError):
                    os.unlink(entry["kept"])
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(folder, RESERVE))
        journal.update(state="committed", committed=time.time())
        # What went live, so that the monitor can tell a later hand edit from the gate's own write.
        for entry in journal["files"]:
            entry["committed_sha256"] = _committed_sha256(entry["path"])
        write_atomic(os.path.join(folder, JOURNAL), json.dumps(journal, indent=1).encode())
        os.unlink(os.path.join(backup_dir, ACTIVE))
    return prune(backup_dir, keep)


def _snapshots(backup_dir):
    """The snapshot folders, oldest first by creation order (the journal's sequence number, never
    the clock that named them: a clock set wrong once must not make a new snapshot look old)."""
    found = []
    for name in os.listdir(backup_dir):
        folder = os.path.join(backup_dir, name)
        if not (name.startswith("txn-") and os.path.isdir(folder)):
            continue
        try:
            sequence = int(_load(folder).get("sequence") or 0)
        except (OSError, ValueError, TypeError, AttributeError):
            sequence = 0  # a journal from before sequence numbers (or unreadable): older than any
        found.append((sequence, name))
    return [name for _sequence, name in sorted(found)]


def _next_sequence(backup_dir):
    names = _snapshots(backup_dir) if os.path.isdir(backup_dir) else []
    if not names:
        return 1
    try:
        return int(_load(os.path.join(backup_dir, names[-1])).get("sequence") or 0) + 1
    except (OSError, ValueError, TypeError):
        return 1


def _committed_sha256(path):
    """sha256 of a regular file as committed; None when the deploy removed it or left a link."""
    if os.path.islink(path) or not os.path.isfile(path):
        return None
    return sha256_of(path)


def committed_files(backup_dir):
    """{path: sha256 or None} of what the gate last committed for each file it manages (newest wins).

    Journals from before the commit recorded it, and rolled-back ones, are skipped.
    """
    committed = {}
    if not os.path.isdir(backup_dir):
        return committed
    for name in _snapshots(backup_dir):  # oldest first, by creation order
        folder = os.path.join(backup_dir, name)
        try:
            journal = _load(folder)
        except (OSError, ValueError):
            continue
        if "committed" not in journal or "rolled_back" in journal:
            continue
        for entry in journal.get("files", ()):
            if "committed_sha256" in entry:
                committed[entry["path"]] = entry["committed_sha256"]
    return committed


def prune(backup_dir, keep):
    """Remove all but the newest ``keep`` snapshots (never the open one)."""
    if not os.path.isdir(backup_dir):
        return []
    open_folder = active(backup_dir)
    snapshots = [name for name in _snapshots(backup_dir)
                 if open_folder is None or os.path.join(backup_dir, name) != open_folder]
    removed = snapshots[:-keep] if keep > 0 else snapshots
    for name in removed:
        shutil.rmtree(os.path.join(backup_dir, name))
    return removed
