"""The int8 forward pass in ONNX Runtime: the encoder exported once per model, quantised, cached on disk.

On an AVX512-BF16 CPU (bench/embed_speed.py, two runs) ONNX Runtime's int8 kernels embed 1.0-1.5x as many
128-token chunks per second as torch's dynamic quantisation of the same Linear layers and 1.7-1.8x at 256 tokens,
at the same vectors (cosine >= 0.999 to float32), and more than bfloat16 on that CPU (1.1-1.3x). The graph comes
from the model's own weights, so nothing is downloaded and the folder stays the one source of truth: the cached
file is named by the folder's fingerprint, this module's export version and the ONNX Runtime version, and is
written again when any of them changes or when it is damaged.

Everything here is optional: without onnxruntime and onnx installed, or when export fails, `KleinModel`
falls back to torch's int8 and says so in `model.runtime`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

CACHE_ENV = "KLEIN_CACHE_DIR"
# opset 17 has LayerNormalization as one op; every onnxruntime this project allows reads it
OPSET = 17
# part of the cached file's name: bump it when the exported graph or its quantisation changes
EXPORT_VERSION = 2
# Rows per session run. The int8 kernels run 11-14% faster on 16 rows than on 64, at 128 and at 256 tokens
# (AMD EPYC, 2 cores; 8 to 16 best, 32 and 64 slower): a small batch's activations stay in cache. Torch's
# bf16 gains ~3% there, so only this runtime splits what encode() hands it.
RUN_BATCH = 16


def available() -> bool:
    """Whether onnxruntime (to run) and onnx (to quantise) are installed; found without importing them."""
    from importlib.util import find_spec

    return find_spec("onnxruntime") is not None and find_spec("onnx") is not None


def cache_dir() -> Path:
    """$KLEIN_CACHE_DIR, else the platform's user cache folder for klein-model."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("klein-model"))


def cached_path(fingerprint: str) -> Path:
    import onnxruntime

    return cache_dir() / "onnx" / f"{fingerprint}-v{EXPORT_VERSION}-ort{onnxruntime.__version__}-int8.onnx"


def export_int8(model: Any, out: Path) -> Path:
    """Export `model` (a float32 transformers encoder: KleinModel's RobertaModel, or a BertModel for the
    benchmarks' teacher) with mean pooling to ONNX, quantise its MatMuls to int8 (per output channel), and
    write the result to `out` atomically."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # the eager attention exports as plain MatMul/Softmax, which quantises and fuses well; the SDPA path
    # exports a masked-attention subgraph that runs ~20% slower in ONNX Runtime
    config = model.config.__class__.from_dict(model.config.to_dict())
    config._attn_implementation = "eager"
    eager = type(model)(config, add_pooling_layer=False)
    eager.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("pooler.")})
    eager.eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        float_path = Path(tmp) / "float.onnx"
        int8_path = Path(tmp) / "int8.onnx"
        # traced on a padded batch, so any branch the model takes on the mask is recorded in its masked form
        ids = torch.full((2, 16), 5, dtype=torch.long)
        mask = torch.ones(2, 16, dtype=torch.long)
        mask[1, 8:] = 0
        axes = {0: "batch", 1: "tokens"}
        with warnings.catch_warnings(), _quiet_root_logger():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
            torch.onnx.export(
                _mean_pooled(eager),
                (ids, mask),
                str(float_path),
                input_names=["input_ids", "attention_mask"],
                output_names=["embedding"],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "embedding": {0: "batch"}},
                opset_version=OPSET,
                dynamo=False,
            )
            quantize_dynamic(
                str(float_path),
                str(int8_path),
                weight_type=QuantType.QInt8,
                per_channel=True,
                extra_options={"DefaultTensorType": 1},  # float: some exporter outputs carry no type
            )
        os.replace(int8_path, out)
    return out


@contextlib.contextmanager
def _quiet_root_logger():
    """The quantiser logs advice ("consider pre-processing") with logging.warning(), which also installs a
    stderr handler on a root logger that has none: every INFO line of the app would then reach the terminal.
    The advice is dropped and any handler installed meanwhile removed."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)


def load_session(path: Path, threads: int):
    """An InferenceSession on `path`; raises when the file is missing or is not a loadable graph."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # idle workers sleep instead of spinning: the indexer tokenizes and writes beside the encoder
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def session_for(model: Any, fingerprint: str, threads: int):
    """The int8 session for this model: from the cache, or exported now (and cached). A cached file that does
    not load is exported again."""
    path = cached_path(fingerprint)
    if path.is_file():
        try:
            return load_session(path, threads)
        except Exception:  # onnxruntime raises its own Fail/InvalidGraph types, all Exceptions
            path.unlink(missing_ok=True)
    log.info("exporting the int8 graph once, to %s", path)
    started = time.perf_counter()
    export_int8(model, path)
    log.info("int8 graph exported in %.1f s", time.perf_counter() - started)
    return load_session(path, threads)


def run(session, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]


def _mean_pooled(encoder):
    """`encoder` with KleinModel's pooling on top, as one torch Module to trace."""
    import torch

    from klein_model.encoder import mean_pool

    class MeanPooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return mean_pool(hidden, attention_mask)

    return MeanPooled().eval()
