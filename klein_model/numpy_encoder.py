"""NumpyEncoder: the same RoBERTa forward pass as KleinModel, in numpy, for embedding queries.

A query is a handful of tokens: the forward pass takes a millisecond, while importing torch and transformers
takes seconds. This encoder needs only numpy, tokenizers and safetensors, so a cold `klein-search search` and
the TUI can embed a query long before torch could even be imported. It computes in float32 and matches
KleinModel in float32 to rounding (tests/klein_model/test_numpy_encoder.py); indexing keeps using KleinModel.

Only what Klein folders hold is supported (absolute positions, exact GELU, float32 or float16 weights);
anything else raises UnsupportedByNumpy and `klein_model.load_query_encoder` falls back to KleinModel.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from klein_model.encoder import _PAD_MULTIPLE, KleinModel
from klein_model.errors import ModelLoadError
from klein_model.folder import CONFIG, TOKENIZER, WEIGHTS, check_folder, compute_fingerprint, read_klein_info


class UnsupportedByNumpy(ModelLoadError):
    """The folder is a valid model that this encoder cannot run (the torch one can)."""


class NumpyEncoder(KleinModel):
    """KleinModel's tokenizer, chunking and encode(), with the forward pass in numpy."""

    def __init__(self, folder: str | Path):  # noqa: D107 - the parent's torch setup is deliberately skipped
        from tokenizers import Tokenizer

        self.folder = Path(folder).resolve()
        check_folder(self.folder)
        self.info = read_klein_info(self.folder)
        try:
            raw = json.loads((self.folder / CONFIG).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"corrupt {self.folder / CONFIG}: {exc}") from exc
        self.config = _config(raw)
        try:
            self.tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER))
        except Exception as exc:
            raise ModelLoadError(f"corrupt {self.folder / TOKENIZER}: {exc}") from exc
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.fingerprint = compute_fingerprint(self.folder)
        if self.fingerprint != self.info.fingerprint:
            raise ModelLoadError(
                f"{self.folder / 'klein.json'} fingerprint does not match {WEIGHTS} + {TOKENIZER}: "
                "the folder was modified or is damaged"
            )
        self._weights = _load_weights(self.folder / WEIGHTS, self.config.num_hidden_layers)
        self.precision = "float32"
        self.runtime = "numpy"
        self.pad_id = self.config.pad_token_id
        self.model = None  # no torch module behind this encoder

    def _forward(self, batch_ids: list[list[int]]) -> np.ndarray:
        cfg, w = self.config, self._weights
        width = max(len(x) for x in batch_ids)
        width = min(-(-width // _PAD_MULTIPLE) * _PAD_MULTIPLE, max(width, self.max_seq_length))
        n = len(batch_ids)
        ids = np.full((n, width), self.pad_id, dtype=np.int64)
        mask = np.zeros((n, width), dtype=np.float32)
        for row, seq in enumerate(batch_ids):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        # RoBERTa numbers positions from pad_id + 1, counting only non-pad tokens
        not_pad = (ids != self.pad_id).astype(np.int64)
        positions = np.cumsum(not_pad, axis=1) * not_pad + self.pad_id
        x = w["word"][ids] + w["position"][positions] + w["token_type"][0]
        x = _layer_norm(x, *w["emb_ln"], cfg.layer_norm_eps)
        heads = cfg.num_attention_heads
        head_dim = cfg.hidden_size // heads
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for layer in w["layers"]:
            q, k, v = (_split_heads(_linear(x, *layer[name]), heads, head_dim) for name in ("q", "k", "v"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head_dim)) + bias
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(n, width, cfg.hidden_size)
            x = _layer_norm(_linear(context, *layer["attn_out"]) + x, *layer["attn_ln"], cfg.layer_norm_eps)
            inner = _gelu(_linear(x, *layer["inter"]))
            x = _layer_norm(_linear(inner, *layer["out"]) + x, *layer["out_ln"], cfg.layer_norm_eps)
        weights = mask[:, :, None]
        return ((x * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)).astype(np.float32)


def _config(raw: dict) -> SimpleNamespace:
    if raw.get("hidden_act", "gelu") != "gelu":
        raise UnsupportedByNumpy(f"activation {raw.get('hidden_act')!r}")
    if raw.get("position_embedding_type", "absolute") != "absolute":
        raise UnsupportedByNumpy(f"position embeddings {raw.get('position_embedding_type')!r}")
    try:
        return SimpleNamespace(
            hidden_size=int(raw["hidden_size"]),
            num_attention_heads=int(raw["num_attention_heads"]),
            num_hidden_layers=int(raw["num_hidden_layers"]),
            layer_norm_eps=float(raw.get("layer_norm_eps", 1e-12)),
            pad_token_id=int(raw.get("pad_token_id", 1)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"corrupt config.json: {exc}") from exc


def _load_weights(path: Path, n_layers: int) -> dict:
    from safetensors.numpy import load_file

    try:
        state = load_file(str(path))
    except Exception as exc:  # bfloat16 tensors have no numpy dtype
        raise UnsupportedByNumpy(f"cannot read {path} as numpy: {exc}") from exc
    state = {k.removeprefix("roberta."): v.astype(np.float32) for k, v in state.items()}

    def pair(prefix: str):
        return state[f"{prefix}.weight"].T.copy(), state[f"{prefix}.bias"]

    try:
        layers = []
        for i in range(n_layers):
            p = f"encoder.layer.{i}"
            layers.append(
                {
                    "q": pair(f"{p}.attention.self.query"),
                    "k": pair(f"{p}.attention.self.key"),
                    "v": pair(f"{p}.attention.self.value"),
                    "attn_out": pair(f"{p}.attention.output.dense"),
                    "attn_ln": (
                        state[f"{p}.attention.output.LayerNorm.weight"],
                        state[f"{p}.attention.output.LayerNorm.bias"],
                    ),
                    "inter": pair(f"{p}.intermediate.dense"),
                    "out": pair(f"{p}.output.dense"),
                    "out_ln": (state[f"{p}.output.LayerNorm.weight"], state[f"{p}.output.LayerNorm.bias"]),
                }
            )
        return {
            "word": state["embeddings.word_embeddings.weight"],
            "position": state["embeddings.position_embeddings.weight"],
            "token_type": state["embeddings.token_type_embeddings.weight"],
            "emb_ln": (state["embeddings.LayerNorm.weight"], state["embeddings.LayerNorm.bias"]),
            "layers": layers,
        }
    except KeyError as exc:
        raise ModelLoadError(f"{path} does not match {CONFIG}: missing {exc}") from exc


def _linear(x: np.ndarray, weight_t: np.ndarray, bias: np.ndarray) -> np.ndarray:
    return x @ weight_t + bias


def _split_heads(x: np.ndarray, heads: int, head_dim: int) -> np.ndarray:
    n, width, _ = x.shape
    return x.reshape(n, width, heads, head_dim).transpose(0, 2, 1, 3)


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, below float32's resolution at GELU's scale);
    # scipy's erf would cost more to import than the whole query takes.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return (sign * (1.0 - poly * np.exp(-a * a))).astype(x.dtype)
