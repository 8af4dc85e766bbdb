"""Keeping the process's resident memory bounded under glibc (no-ops elsewhere).

glibc gives each thread that contends for the heap its own arena (up to 8 per core) and keeps freed memory in
them. Indexing runs torch, the tokenizer's and LanceDB's thread pools at once, so freed Arrow batches and
activations sit in many arenas and RSS creeps up. Measured with bench/index_corpus.py on 128,758 chunks
(2-core AMD EPYC): peak RSS 1,218 MB with glibc's defaults, 991-996 MB with two arenas, at the same or better speed.
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_ARENA_MAX = -8  # from glibc's malloc.h


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def limit_malloc_arenas(n: int = 2) -> None:
    """Cap glibc's heap arenas; call at start-up, before the worker threads exist."""
    libc = _libc()
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(_M_ARENA_MAX, n)


def trim_heap() -> None:
    """Hand freed heap memory back to the OS (glibc keeps it otherwise)."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def limit_blas_threads() -> None:
    """One OpenBLAS thread for numpy, unless the user chose otherwise; call before numpy is imported.

    numpy's products here are small (a query's forward pass, top-k scoring), and torch has its own pool.
    OpenBLAS's extra threads only contend: a query's forward pass took 250 ms p50 with two of them and
    17 ms with one on the 2-core machine with other jobs running (3.6 ms either way when idle).
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
