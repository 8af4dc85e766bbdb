"""The approximate-nearest-neighbour index on chunk vectors: when to build it, how to query it.

Measured on the 2-core AMD EPYC (bench/query_latency.py, 256-d vectors, the machine shared with a training
run): a flat LanceDB scan of 100k chunks costs 80-180 ms, so past ~20k chunks it alone would eat the 50 ms
budget. An IVF_FLAT index (k-means partitions, exact distances inside the probed ones) builds in seconds, and
LanceDB answers from its cached partitions in 10-20 ms at 100k chunks (about 50 ms while a training run holds
both cores) whether it probes a third or all of them; so the probe count is set for recall, not speed. With NUM_PARTITIONS = 64 and NPROBES = 48, recall@10
against exact search was 0.99 on Wikipedia sentences embedded by a Klein checkpoint (0.95 at 32 probes, 0.87 at
16). IVF_PQ and IVF_HNSW_SQ lost recall to quantisation (0.6-0.85 at similar latency) and took far longer to
build, so they are not used. Rows added after the build are still found: LanceDB scans them flat until
`optimize()` folds them into the partitions.
"""

from __future__ import annotations

INDEX_MIN_ROWS = 20_000
INDEX_TYPE = "IVF_FLAT"
# Fixed rather than sqrt(rows): the index is built once, at ~20k chunks, and keeps its partitions as the table
# grows; 64 suits 20k-1M chunks.
NUM_PARTITIONS = 64
NPROBES = 48


def vector_index(table):
    """The table's index on the `vector` column, or None."""
    for index in table.list_indices():
        if "vector" in list(getattr(index, "columns", []) or []):
            return index
    return None


def ensure_vector_index(store, *, min_rows: int = INDEX_MIN_ROWS, rebuild: bool = False) -> bool:
    """Build the ANN index when the chunks table has grown past `min_rows` and has none; True if built.

    Meant for the indexer after a batch of work drains, and for the benchmark. Cheap when nothing is to do.
    """
    table = store.chunks_table
    n_rows = table.count_rows()
    if n_rows < min_rows or (vector_index(table) is not None and not rebuild):
        return False
    table.create_index(
        metric="cosine",
        vector_column_name="vector",
        index_type=INDEX_TYPE,
        num_partitions=min(NUM_PARTITIONS, max(1, n_rows // 256)),
        replace=True,
    )
    return True


def tune(query, *, nprobes: int | None = None):
    """Apply the probe count to a LanceDB vector query (a no-op on tables without an index)."""
    return query.nprobes(NPROBES if nprobes is None else nprobes)
