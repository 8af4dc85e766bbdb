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
    "paraphrase_mining",
    "save_model_folder",
    "semantic_search",
]


def load(name_or_path: str | Path | None = None, precision: str = "auto", threads: int | None = None) -> "KleinModel":
    """Load a model folder; None means the bundled model.

    precision: "auto" (bfloat16 where the CPU computes it natively, else int8, else float32; see
    klein_model.precision), "float32", "bfloat16" or "int8". `model.precision` says what was picked.
    """
    from klein_model.encoder import KleinModel

    if name_or_path is None:
        folder = bundled_model_path()
        if folder is None:
            raise ModelLoadError(
                "no trained model is bundled with this install (assets/klein-v1 is missing); "
                "pass a model folder, e.g. one made by `klein-search train`"
            )
    else:
        folder = Path(name_or_path).expanduser()
    return KleinModel(folder, precision=precision, threads=threads)


def __getattr__(name: str):
    # KleinModel is imported lazily: importing torch costs seconds the TUI cannot spare at start-up.
    if name == "KleinModel":
        from klein_model.encoder import KleinModel

        return KleinModel
    raise AttributeError(name)
