"""Building small indexes for the query tests without the indexing pipeline.

Files are chunked and embedded with the given model and written through the Store's own write path, so the
tables look exactly like the indexer's, but a test controls every path, text and modification time.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np
import pytest

import klein_model

# Distinct topics, one file each, plus an exact identifier only the full-text index can pin down.
TOPICS = {
    "cooking/bread.md": "# Baking bread\n\nMix flour, water, salt and yeast. Knead the dough for ten minutes, "
    "let it rise for two hours, then bake at 230 degrees until the crust is brown.\n",
    "cooking/soup.txt": "Tomato soup: roast tomatoes with garlic and onion, blend with stock, season with basil.\n",
    "space/mars.md": "Mars is the fourth planet from the Sun. Rovers such as Curiosity study its red dusty surface "
    "and search for signs of ancient water.\n",
    "space/telescope.txt": "The telescope gathers light with a large mirror; astronomers observe distant galaxies "
    "and nebulae through it.\n",
    "code/server.py": 'def handle_request(request):\n    """Answer an HTTP request with ERR_4711 on failure."""\n'
    "    if not request.ok:\n        return 'ERR_4711'\n    return 'ok'\n",
    "notes/garden.md": "Plant tomatoes in spring after the last frost. Water the garden every morning and pull "
    "the weeds weekly.\n",
}


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write {relative path: text} under root; returns root."""
    root = Path(root)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def build_store(
    data_dir: Path,
    model,
    files: dict[str, str],
    *,
    mtimes: dict[str, float] | None = None,
    max_tokens: int = 128,
    fts: bool = True,
):
    """A Store in `data_dir` holding `files` ({absolute path: text}), embedded with `model`."""
    import pyarrow as pa

    from klein_app.index.store import Store, chunks_schema

    store = Store.open(data_dir, model.dim, model.fingerprint)
    file_rows, chunk_rows = [], []
    texts, owners = [], []
    for path, text in sorted(files.items()):
        raw = text.encode("utf-8")
        sha = hashlib.sha256(raw).hexdigest()
        chunks = model.chunk(text, max_tokens=max_tokens, overlap=16) if text.strip() else []
        for i, c in enumerate(chunks):
            chunk_rows.append(
                {
                    "path": path,
                    "chunk_index": i,
                    "start_line": line_of(text, c.start),
                    "end_line": line_of(text, max(c.start, c.end - 1)),
                    "text": c.text,
                    "chunk_hash": hashlib.sha256(c.text.encode("utf-8")).hexdigest(),
                    "file_sha256": sha,
                    "model_fingerprint": model.fingerprint,
                }
            )
            texts.append(c.text)
            owners.append(len(chunk_rows) - 1)
        file_rows.append(
            {
                "path": path,
                "folder": str(Path(path).parent),
                "size": len(raw),
                "mtime": (mtimes or {}).get(path, time.time()),
                "sha256": sha,
                "status": "indexed" if chunks else "skipped",
                "skip_reason": "" if chunks else "empty file",
                "n_chunks": len(chunks),
                "indexed_at": time.time(),
            }
        )
    vectors = model.encode(texts) if texts else np.zeros((0, model.dim), np.float32)
    for row, vec in zip(chunk_rows, vectors):
        row["vector"] = np.asarray(vec, dtype=np.float32).tolist()
    table = pa.Table.from_pylist(chunk_rows, schema=chunks_schema(model.dim)) if chunk_rows else None
    store.write_files(file_rows, table)
    if fts:
        store.ensure_fts_index()
    return store


def tiny_model(out_dir: Path, seed: int = 0):
    from klein_model.testing import make_tiny_model

    return klein_model.load(make_tiny_model(out_dir, seed=seed), precision="float32")


def real_model():
    """The bundled trained model, or None while none is bundled."""
    folder = klein_model.bundled_model_path()
    return None if folder is None else klein_model.load(folder, threads=1)


@pytest.fixture(scope="session")
def semantic_model():
    """The trained model, for tests of meaning (a random-weight model cannot rank by meaning)."""
    model = real_model()
    if model is None:
        pytest.skip("no trained model is bundled in assets/")
    return model
