"""Choosing the compute precision: bfloat16 only where the CPU has native bf16 arithmetic."""

from __future__ import annotations

import os
from pathlib import Path

PRECISIONS = ("auto", "float32", "bfloat16")


def cpu_has_native_bf16() -> bool:
    """True on CPUs with AVX512-BF16 or AMX, where bf16 matmuls run ~3x faster than fp32.

    Elsewhere bf16 is emulated and slower than fp32, so "auto" must not pick it.
    """
    import torch

    probe = getattr(torch._C, "_cpu", None)
    if probe is not None:
        for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
            check = getattr(probe, name, None)
            if check is not None:
                try:
                    if check():
                        return True
                except RuntimeError:
                    pass
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        flags = cpuinfo.read_text(errors="replace")
        return "avx512_bf16" in flags or "amx_bf16" in flags
    return False


def resolve_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "auto":
        forced = os.environ.get("KLEIN_PRECISION")
        if forced in ("float32", "bfloat16"):
            return forced
        return "bfloat16" if cpu_has_native_bf16() else "float32"
    return precision


def usable_cores() -> int:
    """Cores this process may run on (containers often see the host's count in os.cpu_count())."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def machine_description() -> str:
    """"<CPU model>, N cores" — how benchmarks and model cards name the machine their figures came from."""
    name = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    if not name:
        import platform

        name = platform.processor() or platform.machine() or "unknown CPU"
    return f"{name}, {usable_cores()} cores"

