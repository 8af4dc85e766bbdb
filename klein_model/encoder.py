"""KleinModel: tokenizer + RoBERTa encoder + attention-masked mean pooling, with an `encode()` in the
manner of sentence-transformers."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from klein_model import chunking
from klein_model.errors import ModelLoadError
from klein_model.folder import CONFIG, TOKENIZER, WEIGHTS, KleinInfo, check_folder, compute_fingerprint, read_klein_info
from klein_model.precision import int8_allowed_by, int8_runtime, quantize_int8, resolve_precision, usable_cores
from klein_model.text import clean_text, st_encode, text_items

# Inputs longer than this many characters per token slot are cut before tokenizing: the model only
# sees max_seq_length tokens anyway, and tokenizing a megabyte to keep 256 tokens wastes a second.
_CHARS_PER_TOKEN_CAP = 64
_PAD_MULTIPLE = 16


class KleinModel:
    """A loaded Klein model. Create it with `klein_model.load()`."""

    def __init__(self, folder: str | Path, precision: str = "auto", threads: int | None = None):
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer
        from transformers import RobertaConfig, RobertaModel

        self.folder = Path(folder).resolve()
        check_folder(self.folder)
        self.info: KleinInfo = read_klein_info(self.folder)
        try:
            self.tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER))
        except Exception as exc:  # tokenizers raises plain Exception subclasses on bad JSON
            raise ModelLoadError(f"corrupt {self.folder / TOKENIZER}: {exc}") from exc
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        try:
            config = RobertaConfig.from_json_file(str(self.folder / CONFIG))
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"corrupt {self.folder / CONFIG}: {exc}") from exc
        try:
            state = load_file(str(self.folder / WEIGHTS))
        except Exception as exc:  # safetensors raises SafetensorError, not an OSError
            raise ModelLoadError(f"corrupt {self.folder / WEIGHTS}: {exc}") from exc
        fingerprint = compute_fingerprint(self.folder)
        if fingerprint != self.info.fingerprint:
            raise ModelLoadError(
                f"{self.folder / 'klein.json'} fingerprint does not match {WEIGHTS} + {TOKENIZER}: "
                "the folder was modified or is damaged"
            )
        self.fingerprint = fingerprint

        model = RobertaModel(config, add_pooling_layer=False)
        state = {k.removeprefix("roberta."): v.float() for k, v in state.items() if not k.startswith("pooler.")}
        missing, unexpected = model.load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.endswith("position_ids")]
        if missing or unexpected:
            raise ModelLoadError(
                f"{self.folder / WEIGHTS} does not match {CONFIG}: missing {missing[:3]}, unexpected {unexpected[:3]}"
            )
        model.eval()
        self.n_parameters = sum(p.numel() for p in model.parameters())  # before int8 packs the Linear weights
        self.config = config
        self.precision = resolve_precision(precision, int8_allowed=int8_allowed_by(self.info.extra))
        if threads is None and "OMP_NUM_THREADS" not in os.environ:
            threads = usable_cores()
        if threads:
            torch.set_num_threads(threads)
        # where the forward pass runs: "torch", or "onnxruntime" for int8 where it is installed
        self._session = None
        if self.precision == "int8" and int8_runtime() == "onnxruntime":
            self._session = _onnx_session(model, fingerprint, threads or torch.get_num_threads())
        self.runtime = "torch" if self._session is None else "onnxruntime"
        if self._session is not None:
            self.model = None  # the session holds its own weights; the float module would only take memory
        else:
            self.model = quantize_int8(model) if self.precision == "int8" else model
        self.pad_id = config.pad_token_id
        self._torch = torch

    # -- properties -----------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.info.name

    @property
    def dim(self) -> int:
        return int(self.config.hidden_size)

    @property
    def max_seq_length(self) -> int:
        return self.info.max_seq_length

    @property
    def matryoshka_dims(self) -> list[int]:
        return list(self.info.matryoshka_dims)

    @property
    def layers(self) -> int:
        return int(self.config.num_hidden_layers)

    def __repr__(self) -> str:
        return (
            f"KleinModel(name={self.name!r}, dim={self.dim}, precision={self.precision!r}, folder={str(self.folder)!r})"
        )

    # -- tokens ---------------------------------------------------------------------------------------
    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids with <s> … </s>, truncated to max_seq_length."""
        cap = self.max_seq_length * _CHARS_PER_TOKEN_CAP
        cleaned = [clean_text(t[:cap]) for t in texts]
        encodings = self.tokenizer.encode_batch(cleaned, add_special_tokens=True)
        limit = self.max_seq_length
        out = []
        for enc in encodings:
            ids = enc.ids
            if len(ids) > limit:
                ids = ids[: limit - 1] + [ids[-1]]  # keep </s>
            out.append(ids)
        return out

    def count_tokens(self, text: str) -> int:
        """Content tokens of `text`, without <s> and </s>, with no truncation."""
        return chunking.count_tokens(self.tokenizer, text)

    def chunk(self, text: str, max_tokens: int = 128, overlap: int = 16) -> list[chunking.Chunk]:
        """Split `text` into windows that, with <s> and </s>, fit in `max_tokens`."""
        return chunking.chunk_text(self.tokenizer, text, max_tokens=max_tokens, overlap=overlap)

    # -- embeddings -----------------------------------------------------------------------------------
    def encode(
        self,
        texts: str | Sequence[str],
        batch_size: int = 64,
        normalize: bool = True,
        dim: int | None = None,
        show_progress: bool = False,
        *,
        normalize_embeddings: bool | None = None,
        show_progress_bar: bool | None = None,
        truncate_dim: int | None = None,
        convert_to_numpy: bool = True,
        convert_to_tensor: bool = False,
    ):
        """Embed texts as a float32 array of shape (len(texts), dim); a single str gives shape (dim,).

        The sentence-transformers spellings work too, so code written for it runs unchanged:
        normalize_embeddings (= normalize), show_progress_bar (= show_progress), truncate_dim (= dim),
        convert_to_tensor=True (a torch tensor), convert_to_numpy=False (a list of 1-d torch tensors).
        Unlike sentence-transformers, vectors are normalised unless told otherwise.
        """
        return st_encode(
            self._encode,
            texts,
            batch_size,
            normalize,
            dim,
            show_progress,
            normalize_embeddings=normalize_embeddings,
            show_progress_bar=show_progress_bar,
            truncate_dim=truncate_dim,
            convert_to_numpy=convert_to_numpy,
            convert_to_tensor=convert_to_tensor,
        )

    def _encode(self, texts, batch_size: int, normalize: bool, dim: int | None, show_progress: bool) -> np.ndarray:
        single, items = text_items(texts)
        out_dim = self._check_dim(dim)
        result = np.zeros((len(items), out_dim), dtype=np.float32)
        if items:
            ids = self.tokenize(items)
            order = np.argsort([-len(x) for x in ids], kind="stable")  # longest first: memory peaks early
            step = max(1, batch_size)
            if self.runtime == "onnxruntime":
                from klein_model import onnx_int8

                step = min(step, onnx_int8.RUN_BATCH)
            batches = [order[i : i + step] for i in range(0, len(order), step)]
            progress = None
            if show_progress:
                from tqdm.auto import tqdm

                progress = tqdm(total=len(items), desc="embed", unit="text")
            for batch in batches:
                vectors = self._forward([ids[j] for j in batch])
                result[batch] = vectors[:, :out_dim]
                if progress is not None:
                    progress.update(len(batch))
            if progress is not None:
                progress.close()
        if normalize:
            norms = np.linalg.norm(result, axis=1, keepdims=True)
            result /= np.maximum(norms, 1e-12)
        return result[0] if single else result

    def _check_dim(self, dim: int | None) -> int:
        if dim is None:
            return self.dim
        if not 1 <= dim <= self.dim:
            raise ValueError(f"dim must be between 1 and {self.dim}, got {dim}")
        return int(dim)

    def _forward(self, batch_ids: list[list[int]]) -> np.ndarray:
        torch = self._torch
        # Round the padded width up to a multiple of 16: a handful of distinct shapes lets the CPU
        # kernels' per-shape caches stay small over a long indexing run; the mask hides the padding.
        width = max(len(x) for x in batch_ids)
        width = min(-(-width // _PAD_MULTIPLE) * _PAD_MULTIPLE, max(width, self.max_seq_length))
        input_ids = np.full((len(batch_ids), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(batch_ids), width), dtype=np.int64)
        for row, ids in enumerate(batch_ids):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        if self._session is not None:
            from klein_model import onnx_int8

            return onnx_int8.run(self._session, input_ids, mask)
        input_t = torch.from_numpy(input_ids)
        mask_t = torch.from_numpy(mask)
        with torch.inference_mode():
            if self.precision == "bfloat16":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    hidden = self.model(input_ids=input_t, attention_mask=mask_t).last_hidden_state
            else:
                hidden = self.model(input_ids=input_t, attention_mask=mask_t).last_hidden_state
            return mean_pool(hidden.float(), mask_t).numpy()


def _onnx_session(model, fingerprint: str, threads: int):
    """The ONNX Runtime int8 session for `model`, or None (with a warning) when it cannot be built: torch's
    int8 then runs instead, so a broken cache or exporter costs speed, never the ability to embed."""
    from klein_model import onnx_int8

    try:
        return onnx_int8.session_for(model, fingerprint, threads)
    except Exception as exc:  # export and session errors come from torch, onnx and onnxruntime alike
        warnings.warn(
            f"ONNX Runtime int8 is unavailable ({type(exc).__name__}: {exc}); using torch's int8", stacklevel=3
        )
        return None


def mean_pool(hidden, mask):
    """Average of the token states where the attention mask is 1 (specials included, as in
    sentence-transformers' Pooling module, so both runtimes give the same vectors)."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
