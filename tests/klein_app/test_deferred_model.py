"""The indexer's model loads torch only when something must be embedded (klein_app/index/deferred_model.py)."""

from __future__ import annotations

import os

import numpy as np

import klein_model
from klein_app.context import AppContext
from klein_app.index.deferred_model import DeferredModel
from klein_app.index.indexer import index_paths
from klein_app.queries.vectors import read_chunks, vector_matrix
from klein_app.settings import Settings, resolve_paths, save_settings

FILES = {
    "notes/a.md": "Tomatoes want full sun and deep watering. Mulch keeps the soil moist through July.\n",
    "notes/b.md": "A sourdough starter needs feeding daily; the dough rests overnight in the fridge.\n",
}


def fresh_ctx(tmp_path, root, model_path) -> AppContext:
    paths = resolve_paths(str(tmp_path / "db"))
    settings = Settings(folders=[str(root)], model=str(model_path))
    save_settings(paths, settings)
    return AppContext(paths, settings)  # no model handed in: the context loads its own, as the CLI's does


def test_nothing_to_embed_loads_no_torch_model_and_embedding_uses_the_full_one(tmp_path, make_corpus, tiny_model_path):
    root = make_corpus(tmp_path / "corpus", FILES)
    ctx = fresh_ctx(tmp_path, root, tiny_model_path)
    assert isinstance(ctx.index_model, DeferredModel)
    assert index_paths(ctx).indexed == 2
    assert ctx.index_model.full_loaded
    table = read_chunks(ctx.index_store, ["text", "vector"])
    stored = vector_matrix(table)
    full = klein_model.load(str(tiny_model_path), precision=ctx.index_model.precision)
    assert np.allclose(stored, full.encode(table.column("text").to_pylist()), atol=1e-3)

    again = fresh_ctx(tmp_path, root, tiny_model_path)
    assert index_paths(again).unchanged == 2
    os.rename(root / "notes/b.md", root / "notes/moved.md")  # its chunks are known: nothing to embed
    report = index_paths(again)
    assert report.indexed == 1 and report.chunks_embedded == 0
    assert not again.index_model.full_loaded

    (root / "notes/c.md").write_text("New words about bicycles and their chains.\n")
    assert index_paths(again).chunks_embedded >= 1
    assert again.index_model.full_loaded
