"""StaticModel: a klein-lite folder at run time. One vector per token, averaged over a text's tokens and
L2-normalised: no encoder, so it embeds text about as fast as the tokenizer reads it.

It has KleinModel's face (encode, dim, fingerprint, chunk, count_tokens, …), so the app indexes with it as with
any other model; its vectors live in their own index generation, as its fingerprint differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from klein_model import chunking
from klein_model.errors import ModelLoadError
from klein_model.folder import (
    KIND_STATIC,
    KLEIN_JSON,
    STATIC_TABLE,
    TOKENIZER,
    WEIGHTS,
    KleinInfo,
    check_folder,
    compute_fingerprint,
    read_klein_info,
)
from klein_model.text import clean_text, st_encode, text_items

_CHARS_PER_TOKEN_CAP = 64  # as KleinModel: never tokenize more text than max_seq_length tokens can hold


class StaticModel:
    """A static (klein-lite) model. Load one with `klein_model.load("lite")` or a folder path; the trainer builds
    one from a table in memory to evaluate it before writing."""

    precision = "float32"  # a table lookup and a mean: there is nothing to quantise
    runtime = "numpy"
    layers = 0

    def __init__(self, table: np.ndarray, tokenizer, info: KleinInfo, folder: Path | None = None):
        if table.ndim != 2 or table.shape[0] != tokenizer.get_vocab_size():
            raise ModelLoadError(
                f"a static model needs a (vocab, dim) table for its {tokenizer.get_vocab_size()}-token vocabulary, "
                f"got {table.shape}"
            )
        self.folder = folder
        self.info = info
        self.fingerprint = info.fingerprint
        self.tokenizer = tokenizer
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.table = np.ascontiguousarray(table, dtype=np.float32)  # stored as float16; numpy sums float32 fast
        self.n_parameters = int(table.size)

    @classmethod
    def from_folder(cls, folder: str | Path) -> StaticModel:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(folder).resolve()
        check_folder(folder, (WEIGHTS, TOKENIZER, KLEIN_JSON))
        info = read_klein_info(folder)
        if info.kind != KIND_STATIC:
            raise ModelLoadError(f"{folder / KLEIN_JSON} is not a static model (kind {info.kind!r})")
        try:
            tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
        except Exception as exc:  # tokenizers raises plain Exception subclasses on bad JSON
            raise ModelLoadError(f"corrupt {folder / TOKENIZER}: {exc}") from exc
        try:
            table = load_file(str(folder / WEIGHTS))[STATIC_TABLE]
        except KeyError as exc:
            raise ModelLoadError(f"{folder / WEIGHTS} has no {STATIC_TABLE!r} tensor") from exc
        except Exception as exc:  # safetensors raises SafetensorError, not an OSError
            raise ModelLoadError(f"corrupt {folder / WEIGHTS}: {exc}") from exc
        if compute_fingerprint(folder) != info.fingerprint:
            raise ModelLoadError(
                f"{folder / KLEIN_JSON} fingerprint does not match {WEIGHTS} + {TOKENIZER}: "
                "the folder was modified or is damaged"
            )
        return cls(table, tokenizer, info, folder)

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    @property
    def max_seq_length(self) -> int:
        return self.info.max_seq_length

    @property
    def matryoshka_dims(self) -> list[int]:
        return list(self.info.matryoshka_dims)

    def __repr__(self) -> str:
        return f"StaticModel(name={self.name!r}, dim={self.dim}, folder={str(self.folder) if self.folder else None!r})"

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Content token ids (no <s> </s>: specials carry no meaning here), truncated to max_seq_length."""
        cap = self.max_seq_length * _CHARS_PER_TOKEN_CAP
        encodings = self.tokenizer.encode_batch([clean_text(t[:cap]) for t in texts], add_special_tokens=False)
        return [enc.ids[: self.max_seq_length] for enc in encodings]

    def count_tokens(self, text: str) -> int:
        return chunking.count_tokens(self.tokenizer, text)

    def chunk(self, text: str, max_tokens: int = 128, overlap: int = 16) -> list[chunking.Chunk]:
        return chunking.chunk_text(self.tokenizer, text, max_tokens=max_tokens, overlap=overlap)

    def encode(
        self,
        texts: str | Sequence[str],
        batch_size: int = 1024,
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

        The sentence-transformers spellings work as in the transformer model's encode()."""
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
        if dim is not None and not 1 <= dim <= self.dim:
            raise ValueError(f"dim must be between 1 and {self.dim}, got {dim}")
        out_dim = int(dim or self.dim)
        result = np.zeros((len(items), out_dim), dtype=np.float32)
        step = max(1, batch_size)
        progress = None
        if show_progress:
            from tqdm.auto import tqdm

            progress = tqdm(total=len(items), desc="embed", unit="text")
        for lo in range(0, len(items), step):
            ids = self.tokenize(items[lo : lo + step])
            lengths = np.array([len(x) for x in ids])
            flat = np.fromiter((t for x in ids for t in x), dtype=np.int64, count=int(lengths.sum()))
            nonempty = np.flatnonzero(lengths)
            if len(nonempty):
                # one gather and one segmented sum for the whole batch: a per-text Python loop costs more
                # than the arithmetic; empty texts stay zero vectors
                starts = (np.cumsum(lengths) - lengths)[nonempty]
                sums = np.add.reduceat(self.table[flat, :out_dim], starts, axis=0)
                result[lo + nonempty] = sums / lengths[nonempty, None]
            if progress is not None:
                progress.update(len(ids))
        if progress is not None:
            progress.close()
        if normalize:
            norms = np.linalg.norm(result, axis=1, keepdims=True)
            result /= np.maximum(norms, 1e-12)
        return result[0] if single else result
