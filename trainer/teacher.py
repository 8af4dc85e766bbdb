"""The teacher: a sentence-transformers style encoder, and its embeddings of the training text cached on disk.

The cache is keyed by a hash of the texts and the teacher settings, written as .npy shards so that an interrupted
pass resumes at the first missing shard.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from trainer.data import texts_hash


class Teacher(Protocol):
    name: str
    dim: int
    tokenizer: object  # tokenizers.Tokenizer, used for truncation and token strings

    def encode(self, texts: Sequence[str], batch_size: int = 64, normalize: bool = True) -> np.ndarray: ...


def resolve_model_path(spec: str | Path) -> Path:
    """A folder path, or the name of an installed package that bundles a model (get_model_path())."""
    path = Path(spec)
    if path.exists():
        return path
    module = importlib.import_module(str(spec).replace("-", "_"))
    return Path(module.get_model_path())


@dataclass
class HFTeacher:
    """Mean-pooled transformers encoder read from a sentence-transformers folder."""

    folder: Path
    max_length: int = 256
    bf16: bool = True
    name: str = ""

    def __post_init__(self) -> None:
        import torch
        from tokenizers import Tokenizer
        from transformers import AutoModel

        self.folder = Path(self.folder)
        self.name = self.name or self.folder.name
        self.model = AutoModel.from_pretrained(str(self.folder)).eval()
        self.tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.dim = int(self.model.config.hidden_size)
        self.pad_id = int(self.model.config.pad_token_id or 0)
        self._torch = torch

    def _tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        encs = self.tokenizer.encode_batch(list(texts))
        out = []
        for e in encs:
            ids = e.ids
            if len(ids) > self.max_length:  # keep the closing special token
                ids = ids[: self.max_length - 1] + ids[-1:]
            out.append(ids)
        return out

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        normalize: bool = True,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        torch = self._torch
        ids = self._tokenize(texts)
        # length-sorted batches: padding is what costs on a CPU
        order = np.argsort([len(x) for x in ids], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                batch = [ids[i] for i in idx]
                width = max(len(b) for b in batch)
                input_ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for r, b in enumerate(batch):
                    input_ids[r, : len(b)] = torch.tensor(b)
                    mask[r, : len(b)] = 1
                states = self.model(input_ids=input_ids, attention_mask=mask).last_hidden_state.float()
                m = mask.unsqueeze(-1).float()
                pooled = (states * m).sum(1) / m.sum(1).clamp(min=1.0)
                if normalize:
                    pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out[idx] = pooled.numpy()
                if progress is not None:
                    progress(len(idx))
        return out


def load_teacher(spec: str | Path, *, max_length: int = 256, bf16: bool = True) -> HFTeacher:
    path = resolve_model_path(spec)
    name = str(spec) if not Path(spec).exists() else path.name
    return HFTeacher(path, max_length=max_length, bf16=bf16, name=name)


def shard_order(n_shards: int, seed: int | None) -> list[int]:
    """The order shards are embedded in. Texts are stored grouped by source, so a shuffled order lets training
    that overlaps the teacher pass see every kind of text early."""
    if seed is None:
        return list(range(n_shards))
    return [int(i) for i in np.random.default_rng(seed).permutation(n_shards)]


def cache_dir(cache_root: str | Path, teacher: Teacher, texts: Sequence[str]) -> Path:
    return Path(cache_root) / cache_key(teacher, texts)


def cache_key(teacher: Teacher, texts: Sequence[str]) -> str:
    settings = f"{teacher.name}|{getattr(teacher, 'max_length', '')}|{getattr(teacher, 'bf16', '')}"
    return f"{texts_hash(texts)}-{texts_hash([settings])[:8]}"


def embed_cached(
    teacher: Teacher,
    texts: Sequence[str],
    cache_root: str | Path,
    *,
    shard_size: int = 8192,
    batch_size: int = 64,
    show_progress: bool = True,
    workers: int = 1,
    order_seed: int | None = None,
    log: Callable[[str], None] = print,
) -> np.ndarray:
    """Normalised teacher embeddings of texts, computed once (resumable) and read back from .npy shards."""
    cache = Path(cache_root) / cache_key(teacher, texts)
    cache.mkdir(parents=True, exist_ok=True)
    meta = {"teacher": teacher.name, "n": len(texts), "dim": teacher.dim, "shard_size": shard_size}
    (cache / "meta.json").write_text(json.dumps(meta, indent=2))
    n_shards = (len(texts) + shard_size - 1) // shard_size
    todo = [i for i in shard_order(n_shards, order_seed) if not (cache / f"shard_{i:05d}.npy").exists()]
    if todo:
        log(f"teacher: {len(todo)}/{n_shards} shards to embed into {cache} with {workers} worker(s)")
    if workers > 1 and len(todo) > 1:
        # single-threaded processes on separate shards: on a shared 2-core machine two torch threads in one
        # process stall on each other's barrier whenever another job holds a core (measured 2.3x slower)
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        procs = [
            ctx.Process(target=_embed_shards, args=(teacher, texts, cache, todo[w::workers], shard_size, batch_size, 1))
            for w in range(workers)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        if any(proc.exitcode != 0 for proc in procs):
            raise RuntimeError("teacher: a worker failed; re-run to resume")
    elif todo:
        _embed_shards(teacher, texts, cache, todo, shard_size, batch_size, None, show_progress)
    return np.concatenate([np.load(cache / f"shard_{i:05d}.npy") for i in range(n_shards)], axis=0)


def _embed_shards(
    teacher, texts, cache: Path, shards, shard_size: int, batch_size: int, threads: int | None, show_progress=True
) -> None:
    import time

    import torch

    if threads:
        torch.set_num_threads(threads)
    for i in shards:
        t0 = time.time()
        chunk = texts[i * shard_size : (i + 1) * shard_size]
        emb = teacher.encode(chunk, batch_size=batch_size, normalize=True)
        tmp = cache / f"shard_{i:05d}.tmp.npy"
        np.save(tmp, emb.astype(np.float32))
        os.replace(tmp, cache / f"shard_{i:05d}.npy")  # a shard is either whole or absent
        if show_progress:
            print(f"teacher: shard {i} ({len(chunk)} texts) in {time.time() - t0:.0f}s", flush=True)


class TargetPool:
    """Teacher vectors by text index, with the indices whose vectors exist so far.

    Built from a finished array, or from a cache folder that a teacher process is still filling: refresh()
    picks up the shards written since the last call, so training can overlap the teacher pass.
    """

    def __init__(self, n: int, dim: int, *, cache: Path | None = None, shard_size: int = 8192):
        self.targets = np.zeros((n, dim), dtype=np.float32)
        self.available = np.zeros(n, dtype=bool)
        self.cache, self.shard_size = cache, shard_size
        self._loaded: set[int] = set()

    @classmethod
    def from_array(cls, targets: np.ndarray) -> TargetPool:
        pool = cls(len(targets), targets.shape[1])
        pool.targets[:] = targets
        pool.available[:] = True
        return pool

    def complete(self) -> bool:
        return bool(self.available.all())

    def refresh(self) -> int:
        """Load shards written since the last call; returns how many texts have targets."""
        if self.cache is not None and not self.complete():
            n_shards = (len(self.targets) + self.shard_size - 1) // self.shard_size
            for i in range(n_shards):
                path = self.cache / f"shard_{i:05d}.npy"
                if i not in self._loaded and path.exists():
                    lo = i * self.shard_size
                    emb = np.load(path)
                    self.targets[lo : lo + len(emb)] = emb
                    self.available[lo : lo + len(emb)] = True
                    self._loaded.add(i)
        return int(self.available.sum())
