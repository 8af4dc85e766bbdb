"""Shared fixtures for klein_app tests (indexing, queries, TUI).

tiny_model_path   session-scoped folder of a tiny random-weight model (fast to load and run)
tiny_model        the loaded tiny model (session-scoped; do not mutate)
make_corpus       make_corpus(root, {"rel/path.md": "text" | bytes}) -> root (Path)
make_ctx          make_ctx(folders=[...], **settings) -> AppContext with its own --db folder,
                  the tiny model and a cached model load (no reloading per test)
indexed_ctx       make_ctx + index_paths over a small corpus of distinct topics
TOPIC_CORPUS      that corpus, {relative path: text}
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests share 2 cores with other work: keep torch from oversubscribing them.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from queries_fixtures import TOPICS as TOPIC_CORPUS  # noqa: E402  (one topic corpus for all tests)


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    from klein_model.testing import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("tiny-model") / "tiny")


@pytest.fixture(scope="session")
def tiny_model(tiny_model_path):
    import klein_model

    return klein_model.load(str(tiny_model_path), precision="float32", threads=1)


def write_corpus(root: Path, files: dict) -> Path:
    root = Path(root)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def make_corpus():
    return write_corpus


@pytest.fixture
def make_ctx(tmp_path, tiny_model_path, tiny_model):
    from klein_app.context import AppContext
    from klein_app.settings import Settings, resolve_paths, save_settings

    made = []

    def factory(folders=(), db: Path | None = None, **settings):
        db = Path(db) if db is not None else tmp_path / f"db{len(made)}"
        paths = resolve_paths(str(db))
        s = Settings(folders=[str(f) for f in folders], model=str(tiny_model_path), **settings)
        save_settings(paths, s)
        ctx = AppContext(paths, s, model=tiny_model)  # share the session's loaded model
        made.append(ctx)
        return ctx

    return factory


@pytest.fixture
def indexed_ctx(tmp_path, make_ctx):
    from klein_app.index.indexer import index_paths

    root = write_corpus(tmp_path / "corpus", TOPIC_CORPUS)
    ctx = make_ctx([root])
    index_paths(ctx)
    return ctx
