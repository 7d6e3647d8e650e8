"""Which process wrote a file, and whether that process is still running.

Files written during an upload carry a token naming their process: the boot
id, the PID namespace, the PID and the process start time. A PID alone is not
enough, because PIDs are reused and mean nothing in another container. When
the starting server finds a leftover whose writer has certainly ended, it
removes it at once instead of waiting for it to grow old. A leftover written
by a running process, or on another machine or container, is never judged
ended.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

_TOKEN = re.compile(r"^w([0-9a-f]{8})n(\d+)p(\d+)s(\d+)$")
_LOCK = threading.Lock()
_CACHE: dict[int, str] = {}


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip().replace("-", "")[:8]
    except OSError:
        return "00000000"


def _pid_namespace() -> int:
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def _start_ticks(pid: int) -> int | None:
    """Start time of ``pid`` in clock ticks since boot, or None when it no longer runs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return None
    # The command name in parentheses may contain spaces, so count the fields after it.
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def process_token() -> str:
    """Return the token of the calling process (cached per PID, so a forked child gets its own)."""
    pid = os.getpid()
    with _LOCK:
        token = _CACHE.get(pid)
        if token is None:
            start = _start_ticks(pid) or 0
            token = f"w{_boot_id()}n{_pid_namespace()}p{pid}s{start}"
            _CACHE.clear()
            _CACHE[pid] = token
        return token


def token_in(name: str) -> str | None:
    """Return the writer token a file name starts with (``<token>.<rest>``), if any."""
    head = name.lstrip(".").split(".", 1)[0]
    return head if _TOKEN.match(head) else None


def writer_gone(token: str | None) -> bool | None:
    """Say whether the process of ``token`` has ended.

    Returns True when it certainly ended, False when it still runs, and None
    when this process cannot tell (no token, another boot of the machine or
    another PID namespace, or no ``/proc``).
    """
    if not token:
        return None
    match = _TOKEN.match(token)
    if match is None:
        return None
    boot, namespace, pid, start = match.group(1), int(match.group(2)), int(match.group(3)), int(match.group(4))
    if boot == "00000000" or namespace == 0 or boot != _boot_id() or namespace != _pid_namespace():
        return None
    ticks = _start_ticks(pid)
    return ticks is None or ticks != start
