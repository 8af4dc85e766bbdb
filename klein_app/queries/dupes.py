"""Duplicates: exact copies (same content hash) and near-duplicates (file or passage vectors above a cosine
threshold), grouped by connected components.

File level: files with the same sha256 are one content; contents whose file vectors are within the threshold
are linked, and each connected component becomes a group listing every file of its contents. A group is
"exact" when all its files share one hash, "near" otherwise. Each file is in at most one group.
Chunk level: passages (chunks) of different files, linked the same way; a file's exact copies are skipped
there, since the file level already reports them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Literal

import numpy as np

from klein_app.queries.components import connected_components
from klein_app.queries.errors import BadParameterError
from klein_app.queries.neighbours import normalise_rows, similar_pairs
from klein_app.queries.results import DuplicateGroup, DuplicateItem
from klein_app.queries.vectors import FILE_VECTOR_COLUMNS, file_means, read_chunks, vector_matrix

DEFAULT_THRESHOLD = 0.92
# Short chunks ("}", "---", a heading) are alike everywhere; passages need some substance.
MIN_PASSAGE_CHARS = 80


def duplicates(
    store, *, threshold: float = DEFAULT_THRESHOLD, level: Literal["file", "chunk"] = "file"
) -> list[DuplicateGroup]:
    """Duplicate groups, most wasted bytes first. A threshold of 1.0 means identical content only (a hash
    match, no vectors read): two different texts can still reach cosine 1.0 in float32."""
    if not 0.0 < threshold <= 1.0:
        raise BadParameterError("--threshold must be a cosine similarity in (0, 1]")
    if level == "file" and threshold >= 1.0:
        groups = exact_file_duplicates(store)
    elif level == "file":
        groups = file_duplicates(store, threshold)
    elif level == "chunk":
        groups = passage_duplicates(store, threshold)
    else:
        raise BadParameterError(f"unknown level {level!r} (file or chunk)")
    return sorted(groups, key=group_order)


def group_order(group: DuplicateGroup) -> tuple:
    """Most wasted bytes first, then the larger group, then by path: the order every view shows."""
    return (-group.wasted_bytes, -len(group.items), group.items[0].path if group.items else "")


def _indexed_by_sha(store) -> dict[str, list[dict]]:
    files = (
        store.files_table.search()
        .where("status = 'indexed'")
        .select(["path", "size", "mtime", "sha256"])
        .limit(None)
        .to_arrow()
        .to_pylist()
    )
    files = [f for f in files if f["sha256"] and (f["size"] or 0) > 0]
    by_sha: dict[str, list[dict]] = defaultdict(list)
    for f in sorted(files, key=lambda f: f["path"]):
        by_sha[f["sha256"]].append(f)
    return by_sha


def exact_file_duplicates(store) -> list[DuplicateGroup]:
    return [
        _group("exact", "file", [_file_item(m) for m in members], 1.0)
        for members in _indexed_by_sha(store).values()
        if len(members) > 1
    ]


def file_duplicates(store, threshold: float) -> list[DuplicateGroup]:
    by_sha = _indexed_by_sha(store)
    vec_paths, vec_matrix, _ = file_means(read_chunks(store, FILE_VECTOR_COLUMNS))
    row_of = {p: i for i, p in enumerate(vec_paths)}
    # One vector per content: the first of its files that has chunks.
    shas, rows = [], []
    for sha, members in sorted(by_sha.items()):
        row = next((row_of[m["path"]] for m in members if m["path"] in row_of), None)
        if row is not None:
            shas.append(sha)
            rows.append(row)
    content_vectors = vec_matrix[rows] if rows else np.zeros((0, vec_matrix.shape[1]), np.float32)

    groups: list[DuplicateGroup] = []
    grouped: set[str] = set()
    pairs = [(a, b) for a, b, _ in similar_pairs(content_vectors, threshold)]
    for component in connected_components(len(shas), pairs):
        members = sorted((m for c in component for m in by_sha[shas[c]]), key=lambda m: m["path"])
        grouped.update(shas[c] for c in component)
        groups.append(
            _group("near", "file", [_file_item(m) for m in members], _min_similarity(content_vectors[component]))
        )
    for sha, members in by_sha.items():
        if len(members) > 1 and sha not in grouped:
            groups.append(_group("exact", "file", [_file_item(m) for m in members], 1.0))
    return groups


def passage_duplicates(store, threshold: float) -> list[DuplicateGroup]:
    table = read_chunks(
        store, ["path", "chunk_index", "start_line", "end_line", "text", "vector", "chunk_hash", "file_sha256"]
    )
    meta = {f["path"]: f for f in store.files_table.search().select(["path", "mtime"]).limit(None).to_arrow().to_pylist()}
    rows = table.drop_columns(["vector"]).to_pylist()
    vectors = vector_matrix(table)

    # Exact copies of whole files would match passage by passage: keep one file per content.
    first_path_of_sha: dict[str, str] = {}
    for r in sorted(rows, key=lambda r: r["path"]):
        first_path_of_sha.setdefault(r["file_sha256"], r["path"])
    keep = [
        i
        for i, r in enumerate(rows)
        if first_path_of_sha[r["file_sha256"]] == r["path"] and len("".join(r["text"].split())) >= MIN_PASSAGE_CHARS
    ]
    # Identical passages share one vector: one node per chunk hash, remembering every occurrence.
    occurrences: dict[str, list[int]] = defaultdict(list)
    for i in sorted(keep, key=lambda i: (rows[i]["path"], rows[i]["chunk_index"])):
        occurrences[rows[i]["chunk_hash"]].append(i)
    hashes = sorted(occurrences)
    node_rows = [occurrences[h][0] for h in hashes]
    node_vectors = normalise_rows(vectors[node_rows]) if node_rows else np.zeros((0, vectors.shape[1]), np.float32)
    path_ids = {p: n for n, p in enumerate(sorted({r["path"] for r in rows}))}
    node_files = np.array([path_ids[rows[r]["path"]] for r in node_rows], dtype=np.int64)

    def different_files(i, j):
        return node_files[i] != node_files[j]

    pairs = [(a, b) for a, b, _ in similar_pairs(node_vectors, threshold, allowed=different_files)]
    components = connected_components(len(hashes), pairs)
    in_component = {n for c in components for n in c}
    # A passage repeated verbatim in several files is a group even with no near neighbour.
    components += [[n] for n, h in enumerate(hashes) if n not in in_component and _spans_files(occurrences[h], rows)]

    groups = []
    for component in components:
        members = [i for n in component for i in occurrences[hashes[n]]]
        if len({rows[i]["path"] for i in members}) < 2:
            continue
        items = [_passage_item(rows[i], meta) for i in sorted(members, key=lambda i: (rows[i]["path"], rows[i]["chunk_index"]))]
        kind = "exact" if len(component) == 1 else "near"
        groups.append(_group(kind, "chunk", items, 1.0 if kind == "exact" else _min_similarity(node_vectors[component])))
    return groups


def _spans_files(indices: list[int], rows: list[dict]) -> bool:
    return len({rows[i]["path"] for i in indices}) > 1


def _min_similarity(vectors: np.ndarray) -> float:
    """Lowest pairwise cosine within a (small) group of unit vectors."""
    if len(vectors) < 2:
        return 1.0
    vectors = vectors[:500]  # a giant component is summarised by its first members
    sims = vectors @ vectors.T
    return float(min(1.0, sims[np.triu_indices(len(vectors), 1)].min()))


def _group(kind, level, items: list[DuplicateItem], similarity: float) -> DuplicateGroup:
    return DuplicateGroup(kind=kind, level=level, items=items, similarity=similarity)


def _file_item(row: dict) -> DuplicateItem:
    return DuplicateItem(path=row["path"], size=int(row["size"] or 0), mtime=float(row["mtime"] or 0.0))


def _passage_item(row: dict, meta: dict) -> DuplicateItem:
    return DuplicateItem(
        path=row["path"],
        size=len(row["text"].encode("utf-8")),
        mtime=float((meta.get(row["path"]) or {}).get("mtime") or 0.0),
        chunk_index=int(row["chunk_index"]),
        start_line=int(row["start_line"]),
        end_line=int(row["end_line"]),
        text=row["text"],
    )
