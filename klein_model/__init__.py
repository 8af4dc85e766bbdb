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
    """Load a model folder; None means the bundled model, "lite" the bundled static model (klein-lite).

    precision: "auto" (bfloat16 where the CPU computes it natively, else int8, else float32; see
    klein_model.precision), "float32", "bfloat16" or "int8". `model.precision` says what was picked.
    """
    folder = _folder(name_or_path)
    if _is_static(folder):
        from klein_model.static import StaticModel

        return StaticModel.from_folder(folder)  # type: ignore[return-value]  # the same encode() face
    from klein_model.encoder import KleinModel

    return KleinModel(folder, precision=precision, threads=threads)


def load_query_encoder(name_or_path: str | Path | None = None) -> KleinModel:
    """The model for embedding queries: the numpy forward pass (no torch import, float32), or KleinModel
    itself for a folder the numpy encoder cannot run. Same vectors, same API. A static model is torch-free
    already and is returned as it is."""
    from klein_model.numpy_encoder import NumpyEncoder, UnsupportedByNumpy

    folder = _folder(name_or_path)
    if _is_static(folder):
        return load(folder)
    try:
        return NumpyEncoder(folder)
    except UnsupportedByNumpy:
        return load(folder, precision="float32")


def _folder(name_or_path: str | Path | None) -> Path:
    from klein_model.folder import BUNDLED_NAME, model_folder

    folder = bundled_model_path() if name_or_path is None else model_folder(name_or_path)
    if folder is None:
        what = BUNDLED_NAME if name_or_path is None else str(name_or_path)
        raise ModelLoadError(
            f"no trained model is bundled with this install as {what!r} (assets/ lacks it); "
            "pass a model folder, e.g. one made by `klein-search train`"
        )
    return folder


def _is_static(folder: Path) -> bool:
    from klein_model.folder import KIND_STATIC, KLEIN_JSON, read_klein_info

    return (folder / KLEIN_JSON).is_file() and read_klein_info(folder).kind == KIND_STATIC


def __getattr__(name: str):
    # KleinModel is imported lazily: importing torch costs seconds the TUI cannot spare at start-up.
    if name == "KleinModel":
        from klein_model.encoder import KleinModel

        return KleinModel
    raise AttributeError(name)
