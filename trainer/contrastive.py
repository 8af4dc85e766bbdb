"""The contrastive stage: pairs of a short text and the passage it asks for pull together, against the batch's
other passages and one mined hard negative each, while the start model's own vectors hold everything else in
place.

    python -m trainer.contrastive --start assets/klein-v1 --data ../shared/data --out runs/contrast [--minutes 20]

Pairs (`load_pairs`): titles of the corpora/ passages (abstracts, Stack Exchange answers, mail, news, docs
sections) -> their text, Wikipedia and Wikinews titles -> leads, WikiQA/TrecQA questions -> answers,
Climate-FEVER claims -> evidence, SNLI premises -> entailments (their contradiction is the negative), and Hindi ->
English. Never STS, SciFact or CISI text: those are how the result is judged.

Hard negatives (`mine_negatives`) come from the start model: for each pair, the closest other passage of the
same source whose similarity to the query stays below NEGATIVE_CEILING x the true passage's. A passage nearly
as close as the true one is more often a second right answer than a wrong one (the false-negative filter of
positive-aware mining); the teacher would be the better judge but costs 3x the student per text on a CPU.

Loss per batch: InfoNCE of queries against [passages; negatives] at every Matryoshka width, plus
`anchor_weight` x (1 - cos) between the trained model's vectors and the start model's for the same texts,
so that what distillation taught (STS, Hindi) is not traded away for the pairs' narrower view.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from trainer.data import read_tsv

# A mined negative must score below this share of the true passage's cosine (see the module doc).
NEGATIVE_CEILING = 0.95
# Candidates looked at per query when mining.
MINE_TOP = 10


@dataclass
class ContrastConfig:
    """The stage's knobs; the defaults are the stage as run for klein-v2's record."""

    minutes: float = 20.0
    batch_size: int = 64
    lr: float = 5e-5
    pct_start: float = 0.1
    weight_decay: float = 0.01
    temperature: float = 0.05
    anchor_weight: float = 1.0
    matryoshka_dims: list[int] = field(default_factory=lambda: [64, 128, 256])
    query_tokens: int = 48
    passage_tokens: int = 128
    threads: int = 2
    seed: int = 13
    bf16: bool | None = None  # bf16 autocast; None: where the CPU has native bf16
    checkpoint_every_s: float = 300.0
    # pairs per source (at most): {source: n}; see load_pairs for the names
    per_source: dict[str, int] = field(
        default_factory=lambda: {
            "corpora_titles": 16000,
            "wiki_title_lead": 6000,
            "qa": 1400,
            "claims": 2800,
            "snli": 6500,
            "en_hi": 6000,
        }
    )


@dataclass
class Pair:
    source: str
    query: str
    passage: str
    negative: str | None = None


# corpora/ files whose titles say what the text is about (others have none, or a file name or section number)
TITLED_CORPORA = (
    "arxiv_daily_cs_abstracts",
    "bbc_news_articles",
    "enron1_ham_emails",
    "keyphrase_sci_abstracts",
    "newsgroups20_bydate",
    "nltk_speeches_abc_brown",
    "ohsumed_medline1991",
    "python_peps",
    "reuters21578_newswire",
    "rust_book_and_rfcs",
    "stackexchange_small_sites",
    "asreview_biomed_abstracts",
)


def load_pairs(data_dir: Path, per_source: dict[str, int], seed: int) -> list[Pair]:
    """The training pairs, each source seed-sampled to its cap."""
    d = Path(data_dir)
    rng = random.Random(seed)
    sources: dict[str, list[Pair]] = {
        "corpora_titles": _corpora_titles(d / "corpora", per_source.get("corpora_titles", 0), rng),
        "wiki_title_lead": [
            Pair("wiki_title_lead", r["title"], r["lead_paragraph"])
            for name in ("enwiki_slice", "wikinews_en")
            for r in _rows(d / "sentences" / name / "title_lead.tsv.gz")
            if r.get("title") and len(r.get("lead_paragraph") or "") > 80
        ],
        "qa": [
            Pair("qa", r["question"], r["answer_sentence"])
            for name in ("wikiqa/wikiqa_train.tsv", "trecqa/trecqa_train.tsv")
            for r in _rows(d / "pairs" / name)
            if r.get("label") == "1"
        ],
        "claims": [
            Pair("claims", r["claim"], r["evidence"])
            for r in _rows(d / "pairs" / "climate_fever" / "claim_evidence.tsv")
            if r.get("evidence_label") in ("SUPPORTS", "REFUTES")
        ],
        "snli": [
            Pair("snli", r["anchor"], r["positive"], r["negative"])
            for split in ("dev", "test")
            for r in _rows(d / "pairs" / "snli_devtest" / f"snli_{split}_triplets.tsv")
        ],
        "en_hi": [
            Pair("en_hi", r["hi"], r["en"])
            for path in sorted((d / "multilingual" / "en_hi_train").glob("*.tsv"))
            for r in read_tsv(path)
            if r.get("hi") and r.get("en") and len(r["en"].split()) >= 4
        ],
    }
    out = []
    for name, pairs in sources.items():
        pairs = list({(p.query, p.passage): p for p in pairs}.values())
        rng.shuffle(pairs)
        out.extend(pairs[: per_source.get(name, 0)])
    return out


def _rows(path: Path):
    """A TSV's rows, or none where the data folder lacks the file (the stage log counts pairs per source)."""
    return read_tsv(path) if path.exists() else iter(())


def _corpora_titles(folder: Path, n: int, rng: random.Random) -> list[Pair]:
    per_file = max(1, n // len(TITLED_CORPORA))
    out = []
    for name in TITLED_CORPORA:
        path = folder / f"{name}.tsv.gz"
        if not path.exists():
            continue
        rows = [
            Pair("corpora_titles", r["title"], r["text"])
            for r in read_tsv(path)
            if len((r.get("title") or "").split()) >= 3 and "/" not in r["title"] and len(r.get("text") or "") > 120
        ]
        rng.shuffle(rows)
        out.extend(rows[:per_file])
    return out


def mine_negatives(pairs: list[Pair], q: np.ndarray, p: np.ndarray) -> list[Pair]:
    """Each pair without a negative gets the start model's closest other passage of its source below the
    ceiling (unit vectors q[i], p[i] of pair i's query and passage)."""
    by_source: dict[str, list[int]] = {}
    for i, pair in enumerate(pairs):
        by_source.setdefault(pair.source, []).append(i)
    out = list(pairs)
    for idx in by_source.values():
        idx = np.asarray(idx)
        for start in range(0, len(idx), 2048):
            rows = idx[start : start + 2048]
            sims = q[rows] @ p[idx].T
            own = (q[rows] * p[rows]).sum(1)
            top = np.argsort(-sims, axis=1)[:, : MINE_TOP + 1]
            for r, i in enumerate(rows):
                if pairs[i].negative is not None:
                    continue
                for j in top[r]:
                    cand = idx[j]
                    if cand != i and sims[r, j] < NEGATIVE_CEILING * own[r] and pairs[cand].passage != pairs[i].passage:
                        out[i] = Pair(pairs[i].source, pairs[i].query, pairs[i].passage, pairs[cand].passage)
                        break
    return out


def batches(pairs: list[Pair], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Batches of one source each (its in-batch negatives are then of the same kind), in a seeded order."""
    rng = np.random.default_rng([seed, epoch])
    by_source: dict[str, list[int]] = {}
    for i, pair in enumerate(pairs):
        by_source.setdefault(pair.source, []).append(i)
    out = []
    for idx in by_source.values():
        idx = list(rng.permutation(idx))
        out += [idx[s : s + batch_size] for s in range(0, len(idx), batch_size) if len(idx[s : s + batch_size]) >= 8]
    return [out[i] for i in rng.permutation(len(out))]


def contrast_loss(qv, pv, q_start, p_start, cfg: ContrastConfig):
    """qv (B, H) queries; pv (B + N, H) passages then negatives; *_start the start model's unit vectors."""
    import torch
    import torch.nn.functional as F

    labels = torch.arange(len(qv))
    nce = torch.zeros(())
    for d in cfg.matryoshka_dims:
        a, b = F.normalize(qv[:, :d], dim=-1), F.normalize(pv[:, :d], dim=-1)
        nce = nce + F.cross_entropy(a @ b.T / cfg.temperature, labels)
    nce = nce / len(cfg.matryoshka_dims)
    anchor = (1 - (F.normalize(qv, dim=-1) * q_start).sum(-1)).mean()
    anchor = (anchor + (1 - (F.normalize(pv, dim=-1) * p_start).sum(-1)).mean()) / 2
    return nce + cfg.anchor_weight * anchor, {"nce": nce.item(), "anchor": anchor.item()}


def train(start: Path, data_dir: Path, out: Path, cfg: ContrastConfig, log: Callable[[str], None] = print) -> Path:
    """Fine-tune the model folder `start` on the pairs; returns the trained model folder (out/"model")."""
    import torch
    from tokenizers import Tokenizer
    from transformers import RobertaModel

    from klein_model.folder import read_klein_info, save_model_folder
    from klein_model.precision import cpu_has_native_bf16
    from trainer.distill import _save as save_checkpoint
    from trainer.distill import mean_pool, onecycle_lr, pad_batch, tokenize

    out.mkdir(parents=True, exist_ok=True)
    final = out / "model"
    if (final / "model.safetensors").exists():
        log(f"contrast: already trained ({final})")
        return final
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)

    tokenizer = Tokenizer.from_file(str(start / "tokenizer.json"))
    model = RobertaModel.from_pretrained(str(start), add_pooling_layer=False, dtype=torch.float32)
    bf16 = cpu_has_native_bf16() if cfg.bf16 is None else cfg.bf16
    pairs, anchors = _pairs_and_anchors(model, tokenizer, data_dir, out, cfg, bf16, log)

    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr
    )
    budget = cfg.minutes * 60
    latest = out / "latest.pt"
    step, elapsed, epoch, position, history = 0, 0.0, 0, 0, []
    if latest.exists():
        state = torch.load(latest, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, elapsed, epoch, position, history = (
            state[k] for k in ("step", "elapsed", "epoch", "position", "history")
        )
        log(f"contrast: resumed at step {step} ({elapsed:.0f}s trained)")

    def embed(texts: list[str], max_len: int):
        ids, mask = pad_batch(tokenize(tokenizer, texts, max_len))
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            h = model(input_ids=ids, attention_mask=mask).last_hidden_state
        return mean_pool(h.float(), mask)

    def checkpoint() -> None:
        payload = {"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed}
        payload.update(epoch=epoch, position=position, history=history)
        save_checkpoint(latest, payload)

    model.train()
    order = batches(pairs, cfg.batch_size, cfg.seed, epoch)
    t_start, last_ckpt, acc = time.time() - elapsed, time.time(), {"nce": 0.0, "anchor": 0.0, "n": 0}
    while elapsed < budget:
        if position >= len(order):
            epoch, position = epoch + 1, 0
            order = batches(pairs, cfg.batch_size, cfg.seed, epoch)
        rows = order[position]
        position += 1
        batch = [pairs[i] for i in rows]
        with_negative = [i for i in rows if pairs[i].negative]
        queries = [x.query for x in batch]
        passages = [x.passage for x in batch] + [pairs[i].negative for i in with_negative]
        q_start = torch.from_numpy(anchors["query"][rows])
        p_start = torch.from_numpy(np.concatenate([anchors["passage"][rows], anchors["negative"][with_negative]]))
        lr = onecycle_lr(elapsed / budget, cfg.lr, cfg.pct_start)
        for g in opt.param_groups:
            g["lr"] = lr
        loss, parts = contrast_loss(
            embed(queries, cfg.query_tokens), embed(passages, cfg.passage_tokens), q_start, p_start, cfg
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        elapsed = time.time() - t_start
        acc["nce"] += parts["nce"]
        acc["anchor"] += parts["anchor"]
        acc["n"] += 1
        if step % 25 == 0:
            n = acc["n"]
            history.append({"step": step, "s": round(elapsed), "nce": acc["nce"] / n, "anchor": acc["anchor"] / n})
            log(
                f"contrast: step {step} epoch {epoch} {elapsed / 60:.1f} min lr {lr:.2e} "
                f"nce {acc['nce'] / n:.3f} anchor {acc['anchor'] / n:.4f}"
            )
            acc = {"nce": 0.0, "anchor": 0.0, "n": 0}
        if time.time() - last_ckpt > cfg.checkpoint_every_s:
            checkpoint()
            last_ckpt = time.time()
    checkpoint()
    info = read_klein_info(start)
    extra = {"contrastive": {"start": start.name, "steps": step, "minutes": round(elapsed / 60, 1), **asdict(cfg)}}
    save_model_folder(
        final,
        model.eval(),
        tokenizer,
        name=info.name,
        version=info.version,
        max_seq_length=info.max_seq_length,
        matryoshka_dims=list(info.matryoshka_dims),
        extra=extra,
        dtype=torch.float16,
    )
    log(f"contrast: {step} steps in {elapsed / 60:.1f} min -> {final}")
    return final


def _pairs_and_anchors(model, tokenizer, data_dir, out, cfg, bf16, log):
    """The mined pairs and the start model's unit vectors of their queries, passages and negatives (cut as
    training cuts them), made once and kept in `out` so a resumed run reads them back."""
    from trainer.distill import student_encoder

    pairs_file, anchors_file = out / "pairs.jsonl", out / "anchors.npz"
    if pairs_file.exists() and anchors_file.exists():
        pairs = [Pair(**json.loads(line)) for line in pairs_file.read_text(encoding="utf-8").splitlines()]
        return pairs, dict(np.load(anchors_file))
    t0 = time.time()
    pairs = load_pairs(data_dir, cfg.per_source, cfg.seed)
    query_enc = student_encoder(model, tokenizer, cfg.query_tokens, bf16)
    passage_enc = student_encoder(model, tokenizer, cfg.passage_tokens, bf16, batch_size=64)
    queries = query_enc([x.query for x in pairs])
    passages = passage_enc([x.passage for x in pairs])
    pairs = mine_negatives(pairs, queries, passages)
    negatives = np.zeros_like(passages)
    have = [i for i, x in enumerate(pairs) if x.negative]
    negatives[have] = passage_enc([pairs[i].negative for i in have])
    anchors = {"query": queries, "passage": passages, "negative": negatives}
    np.savez(out / "anchors.tmp.npz", **anchors)
    (out / "anchors.tmp.npz").replace(anchors_file)
    tmp = pairs_file.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(asdict(x), ensure_ascii=False) + "\n" for x in pairs), encoding="utf-8")
    tmp.replace(pairs_file)
    counts: dict[str, int] = {}
    for x in pairs:
        counts[x.source] = counts.get(x.source, 0) + 1
    log(f"contrast: {len(pairs)} pairs {counts}, {len(have)} with a negative, mined in {time.time() - t0:.0f}s")
    return pairs, anchors


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--start", required=True, type=Path, help="model folder to fine-tune")
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--minutes", type=float, default=ContrastConfig.minutes)
    ap.add_argument("--lr", type=float, default=ContrastConfig.lr)
    ap.add_argument("--anchor-weight", type=float, default=ContrastConfig.anchor_weight)
    args = ap.parse_args(argv)
    cfg = ContrastConfig(minutes=args.minutes, lr=args.lr, anchor_weight=args.anchor_weight)
    from trainer.run import _log

    args.out.mkdir(parents=True, exist_ok=True)
    train(args.start, args.data, args.out, cfg, _log(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
