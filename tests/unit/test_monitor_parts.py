"""The monitor's parts without nginx: /proc parsing on a made-up /proc, metrics text, settings."""

import os

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils.host import drift, listens, monitor
from ansible_collections.preflight.nginx.plugins.module_utils.host.textfile import Metrics

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"


def fake_proc(tmp_path, tcp, tcp6, processes):
    """A /proc with net/tcp, net/tcp6 and processes {pid: (comm, ppid, [inodes])}."""
    proc = tmp_path / "proc"
    (proc / "net").mkdir(parents=True)
    (proc / "net" / "tcp").write_text(HEADER + "".join(tcp))
    (proc / "net" / "tcp6").write_text(HEADER + "".join(tcp6))
    for pid, (comm, ppid, inodes) in processes.items():
        (proc / str(pid) / "fd").mkdir(parents=True)
        (proc / str(pid) / "comm").write_text(comm + "\n")
        (proc / str(pid) / "stat").write_text("%d (%s) S %d 1 1 0 -1\n" % (pid, comm, ppid))
        for fd, inode in enumerate(inodes):
            os.symlink("socket:[%d]" % inode, str(proc / str(pid) / "fd" / str(fd)))
    return str(proc)


def line(address, state, inode):
    return "   0: %s 00000000:0000 %s 00000000:00000000 00:00000000 00000000     0        0 %d 1\n" % (
        address, state, inode)


def test_listening_sockets_are_read_in_host_byte_order(tmp_path):
    proc = fake_proc(tmp_path, [line("0100007F:1F90", "0A", 11), line("0100007F:1F91", "01", 12)],
                     ["   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A "
                      "00000000:00000000 00:00000000 00000000     0        0 13 1\n"], {})
    assert listens.listening(proc) == [(2, "127.0.0.1", 8080, 11), (10, "::1", 80, 13)]


def test_each_configured_socket_is_held_missing_or_foreign(tmp_path):
    tcp = [line("00000000:0050", "0A", 21), line("0100007F:1F90", "0A", 22)]
    processes = {100: ("nginx", 1, []), 101: ("nginx", 100, [21]), 200: ("python3", 1, [22])}
    proc = fake_proc(tmp_path, tcp, [], processes)
    pid_file = tmp_path / "nginx.pid"
    pid_file.write_text("100\n")
    results, problem = listens.check(["127.0.0.1:80", "*:80", "127.0.0.1:8080", "127.0.0.1:9090", "unix:/x"],
                                     str(pid_file), proc)
    assert problem is None
    states = {r["socket"]: r["state"] for r in results}
    # nginx binds the wildcard once for every address of port 80: 127.0.0.1:80 is served by it.
    assert states == {"127.0.0.1:80": "held", "*:80": "held", "127.0.0.1:8080": "foreign", "127.0.0.1:9090": "missing"}
    foreign = next(r for r in results if r["state"] == "foreign")
    assert "python3 (pid 200)" in foreign["detail"]


def test_a_missing_pid_file_is_said_and_sockets_are_still_judged(tmp_path):
    proc = fake_proc(tmp_path, [line("0100007F:0050", "0A", 31)], [], {300: ("nginx", 1, [31])})
    results, problem = listens.check(["127.0.0.1:80"], str(tmp_path / "none.pid"), proc)
    assert "cannot read nginx's pid file" in problem
    assert results[0]["state"] == "held"  # a process named nginx stands in for the unknown master
    results, problem = listens.check(["127.0.0.1:80"], str(tmp_path / "none.pid"),
                                     fake_proc(tmp_path / "other", [line("0100007F:0050", "0A", 41)], [],
                                               {400: ("haproxy", 1, [41])}))
    assert results[0]["state"] == "foreign"


def test_metrics_text_escapes_labels_and_keeps_one_sample_per_label_set():
    metrics = Metrics()
    metrics.add("x", "Help with a \\ backslash.", {"b": 'say "hi"\n', "a": "1"}, 1.5)
    metrics.add("x", "ignored", {"a": "1", "b": 'say "hi"\n'}, 2)
    metrics.add("y", "No labels.", {}, True)
    assert metrics.text() == ('# HELP preflight_nginx_x Help with a \\\\ backslash.\n# TYPE preflight_nginx_x gauge\n'
                              'preflight_nginx_x{a="1",b="say \\"hi\\"\\n"} 1.5\n'
                              '# HELP preflight_nginx_y No labels.\n# TYPE preflight_nginx_y gauge\n'
                              'preflight_nginx_y 1\n')


@pytest.mark.parametrize("data, message", [
    ({"textfile": "/t", "state_dir": "/s", "bogus": 1}, "unknown setting: bogus"),
    ({"state_dir": "/s"}, "textfile is required"),
    ({"textfile": "/t", "state_dir": "/s", "enabled": ["config", "dns"]}, "unknown check dns"),
    ({"textfile": "/t", "state_dir": "/s", "interval": 0}, "interval must be a positive number"),
    ({"textfile": "/t", "state_dir": "/s", "checks": [{"name": "a", "url": "http://0:80/"}]}, "unspecified address"),
    # A misspelt option is refused, not ignored: the check would silently test something else.
    ({"textfile": "/t", "state_dir": "/s", "checks": [{"name": "a", "url": "http://127.0.0.1/", "stauts": [500]}]},
     "check a: unknown option stauts"),
    ({"textfile": "/t", "state_dir": "/s", "checks": [{"url": "http://127.0.0.1/"}]}, r"checks\[0\]: needs a name"),
])
def test_bad_settings_are_refused_by_name(data, message):
    with pytest.raises(ValueError, match=message):
        monitor.Settings.from_dict(data)


def test_budget_defaults_below_the_interval():
    assert monitor.Settings.from_dict({"textfile": "/t", "state_dir": "/s", "interval": 30}).budget == 24


def test_drift_without_any_deploy_is_nothing(tmp_path):
    assert drift.check(str(tmp_path / "no-backups")) == ([], {})
