"""This process's memory as Linux reports it: what the guarded child measures per page, and
what `python -m fuzz` measures per input."""

from __future__ import annotations


def sizes() -> dict[str, int]:
    """VmPeak, VmSize, VmHWM and VmRSS from /proc/self/status, in bytes."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmPeak", "VmSize", "VmHWM", "VmRSS"):
                out[key] = int(value.split()[0]) * 1024
    return out


def reset_peak() -> bool:
    """Start VmHWM (the resident peak) again from the current size, where Linux allows it, so
    that the peak after a piece of work is that work's: the process's lifetime peak
    (ru_maxrss) hides everything that stays under the largest before it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True
