"""Choosing and applying the compute precision: the one place that decides how a model runs on this CPU.

    "bfloat16"  autocast matmuls to bf16; only worth it where the CPU has native bf16 (AVX512-BF16, AMX)
    "int8"      int8 weights, activations quantised per batch: in ONNX Runtime where it is installed
                (onnx_int8.py), else torch's dynamic quantisation of the Linear layers; vectors at cosine
                >= 0.999 to float32 for the bundled models (bench/int8_quality.py measures any model folder)
    "float32"   the reference

"auto" picks int8 where ONNX Runtime runs it (faster than bfloat16 even on CPUs with native bf16:
bench/embed_speed.py), else bfloat16 where the CPU has it, else int8 where torch has a quantised engine, else
float32; int8 only where the model folder does not opt out (`"extra": {"int8": false}` in klein.json, for a
model whose int8 vectors fall short of the bar). KLEIN_PRECISION=float32|bfloat16|int8 overrides "auto", and
KLEIN_INT8_RUNTIME=torch keeps int8 in torch (both for benchmarks).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

PRECISIONS = ("auto", "float32", "bfloat16", "int8")
_CONCRETE = PRECISIONS[1:]
PRECISION_ENV = "KLEIN_PRECISION"
INT8_RUNTIME_ENV = "KLEIN_INT8_RUNTIME"
INT8_RUNTIMES = ("onnxruntime", "torch")


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


def int8_engine_available() -> bool:
    """Whether this torch build has a quantised CPU engine for dynamic int8 Linear layers."""
    import torch

    engines = set(torch.backends.quantized.supported_engines)
    return bool(engines & {"x86", "fbgemm", "qnnpack", "onednn"})


def choose_precision(
    requested: str,
    *,
    native_bf16: bool,
    int8_engine: bool,
    int8_allowed: bool = True,
    forced: str | None = None,
    fast_int8: bool = False,
) -> str:
    """The precision a model runs at, from what was asked and what the CPU and the model allow.

    Pure, so the rule can be tested for every kind of CPU on any one machine.
    """
    if requested not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {requested!r}")
    if requested != "auto":
        return requested
    if forced in _CONCRETE:
        return forced
    if fast_int8 and int8_allowed:
        return "int8"
    if native_bf16:
        return "bfloat16"
    if int8_engine and int8_allowed:
        return "int8"
    return "float32"


def resolve_precision(precision: str, *, int8_allowed: bool = True) -> str:
    """choose_precision() for this CPU and environment."""
    if precision != "auto":
        return choose_precision(precision, native_bf16=False, int8_engine=False)
    return choose_precision(
        "auto",
        native_bf16=cpu_has_native_bf16(),
        int8_engine=int8_engine_available(),
        int8_allowed=int8_allowed,
        forced=os.environ.get(PRECISION_ENV),
        fast_int8=int8_runtime() == "onnxruntime",
    )


def int8_runtime() -> str:
    """Where int8 runs: "onnxruntime" when it and onnx are installed (unless KLEIN_INT8_RUNTIME=torch), else
    "torch"."""
    from klein_model import onnx_int8

    if os.environ.get(INT8_RUNTIME_ENV) == "torch":
        return "torch"
    return "onnxruntime" if onnx_int8.available() else "torch"


def int8_allowed_by(extra: dict[str, Any]) -> bool:
    """A model folder opts out of "auto" int8 with `"int8": false` in klein.json's extra section."""
    return extra.get("int8", True) is not False


def quantize_int8(module: Any) -> Any:
    """A copy of `module` with every nn.Linear dynamically quantised to int8 (embeddings and norms stay float)."""
    import torch

    with warnings.catch_warnings():
        # torch.ao's eager quantisation warns that it moves to torchao; it is still what a plain CPU
        # torch install ships, and torchao would be one more dependency for the same kernels.
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(module, {torch.nn.Linear}, dtype=torch.qint8)


def usable_cores() -> int:
    """Cores this process may run on (containers often see the host's count in os.cpu_count())."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def machine_description() -> str:
    """ "<CPU model>, N cores" — how benchmarks and model cards name the machine their figures came from."""
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
