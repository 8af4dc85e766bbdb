"""What the app needs to know about a model before loading it, read from its card (klein.json) alone.

Public API:
    model_folder(spec) -> Path | None     the folder a `model` setting / --model names ("lite": the bundled
                                          klein-lite; None: no bundled model), from klein_model.folder
    trained_dims(spec) -> list[int]       the Matryoshka sizes the model was trained for (e.g. [64, 128, 256])
    check_dim(spec, dim)                  UsageError unless `dim` is one of them
    model_evaluation(info) -> dict        the card's evaluation figures (klein.json `extra.eval`)

Cheap: json only, no torch, transformers or lancedb, so arguments are checked before anything heavy loads.
"""

from __future__ import annotations

from pathlib import Path

from klein_app.errors import UsageError
from klein_model.folder import model_folder, read_klein_info  # noqa: F401  (model_folder: part of this API)


def trained_dims(spec: str | Path | None) -> list[int]:
    """Raises ModelLoadError when the folder or its card cannot be read."""
    folder = model_folder(spec)
    if folder is None:
        return []
    return sorted(int(d) for d in read_klein_info(folder).matryoshka_dims)


def check_dim(spec: str | Path | None, dim: int | None) -> None:
    if dim is None:
        return
    dims = trained_dims(spec)
    if dims and dim not in dims:
        sizes = ", ".join(str(d) for d in dims)
        raise UsageError(f"--dim {dim} is not a size this model was trained for; use one of {sizes}")


def model_evaluation(info) -> dict:
    """The evaluation the trainer wrote into the card: `extra["eval"]` (older cards: `extra["evaluation"]`)."""
    return dict(info.extra.get("eval") or info.extra.get("evaluation") or {})
