"""The worker's C allocator: glibc's mmap threshold fixed, so large freed buffers go back to the system."""

from __future__ import annotations

import json
import subprocess
import sys

from executor.allocator import heap_stats, pin_mmap_threshold

_PROBE = r"""
import json
from executor.allocator import heap_stats, pin_mmap_threshold

big = bytearray(8 << 20)  # mapped on its own; freeing it raises glibc's threshold to 8 MiB
del big
before = heap_stats()["heap_mmapped_kb"]
buf = bytearray(1 << 20)
unpinned = heap_stats()["heap_mmapped_kb"] - before
del buf
pinned_ok = pin_mmap_threshold()
before = heap_stats()["heap_mmapped_kb"]
buf = bytearray(4 << 20)  # more than the heap holds free: without the pin it would grow the heap
pinned = heap_stats()["heap_mmapped_kb"] - before
del buf
print(json.dumps({"unpinned": unpinned, "pinned_ok": pinned_ok, "pinned": pinned}))
"""


def test_pinning_keeps_large_buffers_off_the_heap_after_a_larger_one_was_freed() -> None:
    """Stock glibc grows its heap for 1 MiB once an 8 MiB buffer was freed; pinned, it maps 4 MiB on its own.

    (glibc only considers mmap when the heap has no free chunk to fit: the pinned request is bigger than the
    1 MiB the first one left free.)
    """
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=60)
    probe = json.loads(out.stdout)
    assert probe["unpinned"] == 0  # the dynamic threshold at work: this is what fragments a long-lived heap
    assert probe["pinned_ok"] is True
    assert probe["pinned"] >= 4096


def test_heap_stats_report_the_main_heap_in_kib() -> None:
    stats = heap_stats()
    assert set(stats) == {"heap_in_use_kb", "heap_free_kb", "heap_mmapped_kb"}
    assert stats["heap_in_use_kb"] > 1024  # a Python process with pytest loaded holds more than 1 MiB
    assert pin_mmap_threshold() is True
