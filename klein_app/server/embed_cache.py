"""An LRU cache of query embeddings, keyed by the model's fingerprint, the text and the dimension.

A person refines a query a word at a time and goes back to earlier ones; the service answers a repeat without
running the model. The fingerprint in the key means a model change (blue-green swap) never serves a vector
of the old model.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

DEFAULT_SIZE = 2048


class QueryCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> np.ndarray | None:
        with self._lock:
            vector = self._items.get(key)
            if vector is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return vector

    def put(self, key: tuple, vector: np.ndarray) -> None:
        with self._lock:
            self._items[key] = vector
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def stats(self) -> dict:
        with self._lock:
            return {"size": len(self._items), "capacity": self.size, "hits": self.hits, "misses": self.misses}


class CachedEncoder:
    """An encoder whose encode() answers repeated texts from the cache; everything else is the encoder's."""

    def __init__(self, encoder, cache: QueryCache) -> None:
        self._encoder = encoder
        self._cache = cache

    def __getattr__(self, name: str):
        return getattr(self._encoder, name)

    def encode(self, texts, batch_size: int = 64, normalize: bool = True, dim: int | None = None, **kwargs):
        single = isinstance(texts, str)
        items = [texts] if single else list(texts)
        fingerprint = self._encoder.fingerprint
        keys = [(fingerprint, t, dim, normalize) for t in items]
        found = [self._cache.get(k) for k in keys]
        missing = [i for i, v in enumerate(found) if v is None]
        if missing:
            fresh = self._encoder.encode(
                [items[i] for i in missing], batch_size=batch_size, normalize=normalize, dim=dim, **kwargs
            )
            for i, vector in zip(missing, fresh):
                vector = np.array(vector, dtype=np.float32)
                vector.flags.writeable = False  # shared between requests
                self._cache.put(keys[i], vector)
                found[i] = vector
        if not items:
            return self._encoder.encode([], dim=dim, normalize=normalize)
        out = np.stack(found)
        return out[0] if single else out
