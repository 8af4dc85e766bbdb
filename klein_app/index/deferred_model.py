"""The indexer's model in two steps: what a run needs to decide what to do (name, dimension, fingerprint, the
tokenizer that chunks) comes from the torch-free encoder of the same folder; torch and transformers load only
when the first text must be embedded. So an `index` that finds nothing changed, or only files whose chunks it
already knows (moved, renamed, re-read after a reader fix), answers in about a second instead of six.

Both encoders are the same model class over the same folder: chunking is identical by construction, and the
light encoder's vectors are the ones queries are embedded with already.
"""

from __future__ import annotations

import threading

# what the light encoder answers; anything else (encode, precision, ...) loads the full model
LIGHT = frozenset({"name", "version", "dim", "fingerprint", "folder", "max_seq_length", "matryoshka_dims", "chunk"})


class DeferredModel:
    def __init__(self, light, load_full):
        self._light = light
        self._load_full = load_full
        self._full = None
        self._lock = threading.Lock()

    @property
    def full_loaded(self) -> bool:
        return self._full is not None

    def full(self):
        with self._lock:
            if self._full is None:
                self._full = self._load_full()
                self._light = None  # the full model answers everything now; its numpy weights need not stay
            return self._full

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        light = self._light
        return getattr(light if light is not None and name in LIGHT else self.full(), name)


def load_index_model(spec):
    """The configured model for indexing: deferred where a torch-free encoder of it exists, else loaded."""
    import klein_model
    from klein_model.numpy_encoder import NumpyEncoder

    light = klein_model.load_query_encoder(spec)
    if not isinstance(light, NumpyEncoder):
        return light  # a static model (no torch anyway), or a folder only torch can run
    return DeferredModel(light, lambda: klein_model.load(spec))
