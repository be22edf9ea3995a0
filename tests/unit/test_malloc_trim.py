"""A worker gives the memory it has freed back to the system (lsweb.server.trim_memory): measured in a
child process that fills malloc's heap with small blocks, frees all but the last (which keeps the heap's
top in place, so glibc cannot shrink it by itself), and then trims."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lsweb.server import _libc, gunicorn_options

CHILD = r"""
import ctypes, sys
from lsweb.server import trim_memory

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
blocks = []
for _ in range(200_000):  # 200 MB in 1 kB blocks, each written so that it is resident
    block = libc.malloc(1024)
    libc.memset(block, 1, 1024)
    blocks.append(block)
for block in blocks[:-1]:
    libc.free(block)
before = rss_mb()
trimmed = trim_memory()
print(before, rss_mb(), trimmed)
"""


@pytest.mark.skipif(_libc() is None, reason="glibc's malloc_trim is only on Linux with glibc")
def test_freed_memory_goes_back_to_the_system():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=120)
    before, after, trimmed = out.stdout.split()
    assert trimmed == "True"
    assert float(before) > 150, "the freed blocks were still resident before the trim"
    assert float(after) < float(before) - 150, f"the trim gave back too little: {before} -> {after} MB"


def test_every_worker_trims_its_memory():
    assert gunicorn_options("127.0.0.1", 8000, 1, 4)["post_worker_init"].__name__ == "_start_trimming"
