"""Snapshots: byte-for-byte restore, files that did not exist, recovery, pruning."""

import os
import stat

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils.host import transaction


def test_rollback_restores_bytes_mode_and_removes_new_files(tmp_path):
    live = tmp_path / "live.conf"
    live.write_bytes(b"server 127.0.0.1:8081;\n\xff raw bytes\n")
    os.chmod(live, 0o640)
    new = tmp_path / "new.conf"
    backups = str(tmp_path / "backups")
    journal = transaction.begin(backups, [str(live), str(new)])
    assert [f["existed"] for f in journal["files"]] == [True, False]
    live.write_text("server 0:80;\n")
    os.chmod(live, 0o666)
    new.write_text("new\n")
    restored = transaction.rollback(backups)
    assert sorted(restored) == sorted([str(live), str(new)])
    assert live.read_bytes() == b"server 127.0.0.1:8081;\n\xff raw bytes\n"
    assert stat.S_IMODE(os.stat(live).st_mode) == 0o640
    assert not new.exists()
    assert transaction.active(backups) is None


def test_an_open_transaction_is_found_by_the_next_run(tmp_path):
    live = tmp_path / "live.conf"
    live.write_text("old\n")
    backups = str(tmp_path / "backups")
    transaction.begin(backups, [str(live)])
    live.write_text("half-written new\n")  # the run dies here
    assert transaction.active(backups) is not None
    with pytest.raises(transaction.TransactionError, match="already open"):
        transaction.begin(backups, [str(live)])
    assert transaction.rollback(backups) == [str(live)]
    assert live.read_text() == "old\n"


def test_commit_keeps_the_newest_snapshots(tmp_path):
    live = tmp_path / "live.conf"
    live.write_text("v0\n")
    backups = str(tmp_path / "backups")
    for number in range(4):
        transaction.begin(backups, [str(live)])
        live.write_text("v%d\n" % (number + 1))
        transaction.commit(backups, keep=2)
    snapshots = sorted(d for d in os.listdir(backups) if d.startswith("txn-"))
    assert len(snapshots) == 2 and transaction.active(backups) is None


def test_unusable_backup_directory_fails_before_anything_is_written(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(transaction.TransactionError, match="cannot create backup directory"):
        transaction.begin(str(blocker / "backups"), [str(blocker)])


def test_only_regular_files_are_managed(tmp_path):
    with pytest.raises(transaction.TransactionError, match="not a regular file"):
        transaction.begin(str(tmp_path / "b"), [str(tmp_path)])


def test_pruning_goes_by_creation_order_not_by_the_clock_in_the_names(tmp_path):
    backups = tmp_path / "backups"
    live = tmp_path / "live.conf"
    live.write_text("x\n")
    # Two snapshots made while the clock was a day ahead: their names sort after any made today.
    for name in ("txn-20991231T000000.000001", "txn-20991231T000000.000002"):
        transaction.begin(str(backups), [str(live)])
        made = transaction.active(str(backups))
        transaction.commit(str(backups), keep=5)
        os.rename(made, str(backups / name))
        journal = (backups / name / "journal.json")
        journal.write_text(journal.read_text().replace(os.path.basename(made), name))
    journal = transaction.begin(str(backups), [str(live)])
    transaction.commit(str(backups), keep=2)
    assert journal["name"] in os.listdir(backups)
    assert sorted(d for d in os.listdir(backups) if d.startswith("txn-")) == sorted(
        [journal["name"], "txn-20991231T000000.000002"])


def test_commit_records_what_went_live_for_the_monitor(tmp_path):
    """The journal snapshots the old files; the commit adds the sha256 of the new ones (drift's baseline)."""
    import hashlib
    import time

    backups = str(tmp_path / "backups")
    site, gone = tmp_path / "site.conf", tmp_path / "gone.conf"
    site.write_text("old\n")
    gone.write_text("to be removed\n")
    transaction.begin(backups, [str(site), str(gone)])
    site.write_text("new\n")
    gone.unlink()
    transaction.commit(backups)
    assert transaction.committed_files(backups) == {str(site): hashlib.sha256(b"new\n").hexdigest(),
                                                    str(gone): None}
    # A later deploy of one file wins for that file; a rolled-back one counts for nothing.
    time.sleep(0.01)
    transaction.begin(backups, [str(site)])
    site.write_text("newer\n")
    transaction.commit(backups)
    time.sleep(0.01)
    transaction.begin(backups, [str(site)])
    site.write_text("bad\n")
    transaction.rollback(backups)
    assert transaction.committed_files(backups)[str(site)] == hashlib.sha256(b"newer\n").hexdigest()
