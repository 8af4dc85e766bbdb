"""klein_model: load a Klein embedding model and turn text into vectors.

    import klein_model
    model = klein_model.load()            # the bundled model
    vectors = model.encode(["a sentence", "another one"])
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from klein_model.chunking import Chunk
from klein_model.errors import ModelLoadError
from klein_model.folder import bundled_model_path, save_model_folder
from klein_model.similarity import cos_sim, paraphrase_mining, semantic_search

if TYPE_CHECKING:
    from klein_model.encoder import KleinModel

__all__ = [
    "Chunk",
    "KleinModel",
    "ModelLoadError",
    "bundled_model_path",
    "cos_sim",
    "load",
    "load_query_encoder",
    "paraphrase_mining",
    "save_model_folder",
    "semantic_search",
]


def load(name_or_path: str | Path | None = None, precision: str = "auto", threads: int | None = None) -> KleinModel:
    """Load a model folder; None means the bundled model.

    precision: "auto" (bfloat16 where the CPU computes it natively, else float32), "float32" or "bfloat16".
    """
    from klein_model.encoder import KleinModel

    return KleinModel(_folder(name_or_path), precision=precision, threads=threads)


def load_query_encoder(name_or_path: str | Path | None = None) -> KleinModel:
    """The model for embedding queries: the numpy forward pass (no torch import, float32), or KleinModel
    itself for a folder the numpy encoder cannot run. Same vectors, same API."""
    from klein_model.numpy_encoder import NumpyEncoder, UnsupportedByNumpy

    folder = _folder(name_or_path)
    try:
        return NumpyEncoder(folder)
    except UnsupportedByNumpy:
        return load(folder, precision="float32")


def _folder(name_or_path: str | Path | None) -> Path:
    if name_or_path is not None:
        return Path(name_or_path).expanduser()
    folder = bundled_model_path()
    if folder is None:
        raise ModelLoadError(
            "no trained model is bundled with this install (assets/klein-v1 is missing); "
            "pass a model folder, e.g. one made by `klein-search train`"
        )
    return folder


def __getattr__(name: str):
    # KleinModel is imported lazily: importing torch costs seconds the TUI cannot spare at start-up.
    if name == "KleinModel":
        from klein_model.encoder import KleinModel

        return KleinModel
    raise AttributeError(name)
