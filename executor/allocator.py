"""The C allocator under a long-running worker: a fixed mmap threshold, and heap figures for the soak.

glibc serves a large allocation (128 KiB and up, by default) with its own
``mmap`` and unmaps it on free. On each such free it raises the threshold to
that size, up to 32 MiB, so from then on large buffers (a page's HTML, a
protocol message carrying a screenshot) come from the main heap instead. Freed
there, they leave holes that small, longer-lived allocations fill, and the heap
only grows: in the soak the worker's RSS climbed 1.8-2.5 KB per action, glibc
holding ever more free memory while the memory in use stayed level
(docs/benchmarks.md).
Setting the threshold explicitly turns that adjustment off, so large buffers
keep going back to the system when freed. The adjustment also raised the trim
threshold (twice the mmap threshold), which keeps free memory at the heap's top
from ever being returned; it is set back to glibc's default too. Pin first thing in
the process: pinned only once the worker loop had started (and the trim
threshold left raised), the heap still held 14-17 MB free and that climbed
1.1 KB per action over 1,000 actions.

Only glibc has ``mallopt`` and ``mallinfo2``; elsewhere (musl, macOS) both
functions report that they did nothing. Written with ``ctypes`` because no
maintained package wraps these two calls.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys
from typing import Any

__all__ = ["MMAP_THRESHOLD", "heap_stats", "pin_mmap_threshold"]

MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value, kept fixed
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # from <malloc.h>
_TRIM_THRESHOLD = 128 * 1024  # glibc's default


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                     "keepcost")
    ]


@functools.cache
def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.mallinfo2.restype = _MallInfo2
    except (OSError, AttributeError):  # not glibc, or glibc older than 2.33
        return None
    return libc


def pin_mmap_threshold(size: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``size`` (and the trim threshold at its default); False where not possible.

    A threshold the operator set (``MALLOC_MMAP_THRESHOLD_`` or ``GLIBC_TUNABLES``) already turns the
    adjustment off and is left as it is.
    """
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "mmap_threshold" in os.environ.get("GLIBC_TUNABLES", ""):
        return True
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, size) == 1 and libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD) == 1)


def heap_stats() -> dict[str, int]:
    """glibc's main heap in KiB: in use, free but held, and large blocks mapped on their own ({} off glibc)."""
    libc = _libc()
    if libc is None:
        return {}
    info = libc.mallinfo2()
    return {"heap_in_use_kb": info.uordblks // 1024, "heap_free_kb": info.fordblks // 1024,
            "heap_mmapped_kb": info.hblkhd // 1024}
