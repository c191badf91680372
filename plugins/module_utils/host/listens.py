# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which process holds each listening TCP socket, read from /proc (Linux).

``/proc/net/tcp`` and ``tcp6`` list the sockets in LISTEN state with their inode;
``/proc/PID/fd`` links ``socket:[INODE]`` to the processes that hold them. The
monitor asks, for each socket the configuration says nginx listens on, whether
nginx's master or one of its workers holds it.
"""

from __future__ import annotations

import ipaddress
import os
import socket

LISTEN_STATE = "0A"


def _address(hex_address, family):
    """The address of a /proc/net/tcp* entry (hex, in host byte order per 32-bit word)."""
    raw = bytes.fromhex(hex_address)
    if family == socket.AF_INET:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return str(ipaddress.IPv6Address(words))


def listening(proc="/proc"):
    """[(family, address, port, inode)] of every TCP socket in LISTEN state."""
    sockets = []
    for name, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        try:
            with open(os.path.join(proc, "net", name)) as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            continue  # no IPv6 on this host
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != LISTEN_STATE:
                continue
            address, port = fields[1].rsplit(":", 1)
            sockets.append((family, _address(address, family), int(port, 16), int(fields[9])))
    return sockets


def owners(inodes, proc="/proc"):
    """{inode: {pid: command name}} for the given socket inodes (processes we may not read are skipped)."""
    wanted = {"socket:[%d]" % inode: inode for inode in inodes}
    found = {}
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        folder = os.path.join(proc, entry, "fd")
        try:
            fds = os.listdir(folder)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(os.path.join(folder, fd))
            except OSError:
                continue
            if target in wanted:
                found.setdefault(wanted[target], {})[int(entry)] = command_name(int(entry), proc)
    return found


def command_name(pid, proc="/proc"):
    try:
        with open(os.path.join(proc, str(pid), "comm")) as handle:
            return handle.read().strip()
    except OSError:
        return "?"


def children(pid, proc="/proc"):
    """The pids whose parent is ``pid`` (nginx's workers, cache manager)."""
    kids = set()
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        try:
            with open(os.path.join(proc, entry, "stat")) as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the fields after it are fixed.
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and fields[1] == str(pid):
            kids.add(int(entry))
    return kids


def nginx_pids(pid_file, proc="/proc"):
    """The master (from its pid file) and its children; (pids, problem text or None)."""
    try:
        with open(pid_file) as handle:
            master = int(handle.read().strip())
    except (OSError, ValueError) as exc:
        return set(), "cannot read nginx's pid file %s: %s" % (pid_file, getattr(exc, "strerror", None) or exc)
    if not os.path.isdir(os.path.join(proc, str(master))):
        return set(), "nginx's pid file %s names pid %d, which is not running" % (pid_file, master)
    return {master} | children(master, proc), None


def _family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def covers(listener, wanted):
    """True when a listening socket (family, address, port) takes connections for ``wanted``.

    nginx binds a wildcard socket once for all the addresses of a port (unless ``bind`` is set),
    so ``listen 127.0.0.1:80`` is served by a socket on ``0.0.0.0:80``.
    """
    family, address, port = listener[:3]
    w_family, w_address, w_port = wanted
    if port != w_port or family != w_family:
        return False
    return address == w_address or ipaddress.ip_address(address).is_unspecified


def check(configured, pid_file, proc="/proc"):
    """Judge each configured socket ("127.0.0.1:80", "[::]:443", "*:80").

    Returns (results, problem): results are dicts with socket, state (``held``: by nginx,
    ``foreign``: by another process, ``missing``: nobody listens) and who holds it.
    """
    pids, problem = nginx_pids(pid_file, proc)
    listeners = listening(proc)
    holders = owners([inode for *_rest, inode in listeners], proc)
    results = []
    for display in configured:
        wanted = parse_socket(display)
        if wanted is None:
            continue
        matching = [item for item in listeners if covers(item, wanted)]
        held_by = {}
        for item in matching:
            held_by.update(holders.get(item[3], {}))
        if not matching:
            state, detail = "missing", "nobody listens on %s" % display
        elif held_by and pids & set(held_by):
            state, detail = "held", "nginx (pid %s) listens on %s" % (min(pids & set(held_by)), display)
        elif held_by and not pids and "nginx" in held_by.values():
            # Without the pid file (the problem is reported), a process named nginx is taken for it.
            state, detail = "held", "a process named nginx listens on %s" % display
        elif held_by:
            others = ", ".join("%s (pid %d)" % (name, pid) for pid, name in sorted(held_by.items()))
            state, detail = "foreign", "%s is held by %s, not by nginx" % (display, others)
        else:
            # A socket we cannot attribute (no root): someone listens, we cannot say who.
            state, detail = "held", "something listens on %s (its owner cannot be read)" % display
        results.append({"socket": display, "state": state, "detail": detail,
                        "holders": sorted(held_by.items())})
    return results, problem


def parse_socket(display):
    """("127.0.0.1:80" | "[::1]:80" | "*:80") as (family, address, port); None for unix or UDP sockets."""
    if display.startswith("unix:") or display.endswith("/udp"):
        return None
    host, _colon, port = display.rpartition(":")
    if not port.isdigit():
        return None
    host = host.strip("[]")
    if host in ("*", ""):
        host = "0.0.0.0"
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        return None  # a host name: nginx resolved it at start, we cannot tell which address it took
    return _family_of(address), address, int(port)
