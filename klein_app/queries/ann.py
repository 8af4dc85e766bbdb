"""The approximate-nearest-neighbour index on chunk vectors: when to build it, how to query it.

Measured on a 2-core AMD EPYC with 256-d vectors (bench/query_latency.py): a flat LanceDB scan costs about
1.5-2 ms per 1,000 chunks, so past ~20k chunks it alone would eat the 50 ms budget. IVF_FLAT (k-means
partitions, exact distances inside the probed ones) builds in about a second per 100k chunks and, probing
NPROBES partitions, keeps recall@10 at or above 0.95 against exact search; IVF_PQ and IVF_HNSW_SQ were slower to
build and lost recall to quantisation (0.6-0.85 at similar latency), so they are not used.
Rows added after the index was built are still found: LanceDB scans them flat until `optimize()` folds them in.
"""

from __future__ import annotations

import math

INDEX_MIN_ROWS = 20_000
NPROBES = 32
INDEX_TYPE = "IVF_FLAT"


def vector_index(table):
    """The table's index on the `vector` column, or None."""
    for index in table.list_indices():
        if "vector" in list(getattr(index, "columns", []) or []):
            return index
    return None


def ensure_vector_index(store, *, min_rows: int = INDEX_MIN_ROWS, rebuild: bool = False) -> bool:
    """Build the ANN index when the chunks table has grown past `min_rows` and has none; True if built.

    Called by the indexer after a batch of work drains, and by the benchmark. Cheap when nothing is to do.
    """
    table = store.chunks_table
    n_rows = table.count_rows()
    if n_rows < min_rows or (vector_index(table) is not None and not rebuild):
        return False
    table.create_index(
        metric="cosine",
        vector_column_name="vector",
        index_type=INDEX_TYPE,
        num_partitions=max(1, round(math.sqrt(n_rows))),
        replace=True,
    )
    return True


def tune(query, *, nprobes: int = NPROBES):
    """Apply the probe count to a LanceDB vector query (a no-op on tables without an index)."""
    return query.nprobes(nprobes)
