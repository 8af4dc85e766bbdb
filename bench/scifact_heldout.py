"""Does distilling on scientific abstracts help on abstracts the student never saw? A held-out-half check.

SciFact's corpus is split in two by a hash of the document id. A trained run's student checkpoint is fine-tuned
for a few minutes twice, from the same state and on the same budget:

- control: 40,000 of the run's own training texts;
- half A: 20,000 of them plus the corpus text of half A (title + abstract, titles, abstract sentences).

Both are then scored on STSb dev and on the SciFact train queries, overall and split by where their relevant
abstracts lie: all in A (seen in the fine-tune) or all in B (never seen). A gain on B is the domain, not
memorised documents. Needs a run folder from a recipe without the SciFact corpus (texts.json, teacher_cache,
checkpoints/latest.pt, tokenizer.json):

    python bench/scifact_heldout.py --run RUN --data ../shared/data --minutes 5 [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trainer.data import document_texts, read_retrieval, truncate_to_tokens  # noqa: E402
from trainer.distill import (  # noqa: E402
    build_student,
    distill_step,
    loss_dims,
    make_batches,
    student_encoder,
    tokenize,
)
from trainer.evaluate import eval_sts, rank  # noqa: E402
from trainer.metrics import retrieval_scores  # noqa: E402
from trainer.recipe import recipe_from_dict  # noqa: E402
from trainer.teacher import embed_cached, load_teacher  # noqa: E402


def corpus_half(doc_id: str) -> str:
    return "AB"[zlib.crc32(doc_id.encode()) % 2]


def half_texts(corpus: dict[str, tuple[str, str]], half: str) -> list[str]:
    out: list[str] = []
    for doc_id, (title, text) in corpus.items():
        if corpus_half(doc_id) == half:
            doc, parts = document_texts(title, text)
            out += [doc, *parts]
    return list(dict.fromkeys(" ".join(t.split()) for t in out if t.strip()))


def finetune(run: Path, recipe, tokenizer, texts: list[str], targets: np.ndarray, minutes: float, seed: int):
    """The run's latest checkpoint trained on (texts, targets) for `minutes` at a constant small learning rate."""
    import torch

    torch.manual_seed(seed)
    state = torch.load(run / "checkpoints" / "latest.pt", weights_only=False)
    model = build_student(recipe.student, tokenizer.get_vocab_size())
    model.load_state_dict(state["model"])
    proj = torch.nn.Linear(recipe.student.hidden, targets.shape[1])
    proj.load_state_dict(state["proj"])
    params = list(model.parameters()) + list(proj.parameters())
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)
    ids = tokenize(tokenizer, texts, recipe.train.max_train_tokens)
    lengths = np.array([len(x) for x in ids])
    tgt = torch.from_numpy(targets)
    dims = loss_dims(recipe.student)
    model.train()
    t0, step, chunk = time.time(), 0, 0
    while time.time() - t0 < minutes * 60:
        for b in make_batches(lengths, np.ones(len(ids), bool), recipe.train.batch_size, seed, chunk, 20):
            distill_step(model, proj, opt, params, [ids[i] for i in b], tgt[torch.from_numpy(b)], recipe.train, dims)
            step += 1
            if time.time() - t0 >= minutes * 60:
                break
        chunk += 1
    return model, step


def score(encode, data: Path, rs) -> dict[str, float]:
    out = {"stsb_dev": eval_sts(encode, data / "sts" / "stsb_dev.tsv")["spearman"]}
    ranked = rank(encode, rs)
    out["scifact"] = retrieval_scores(ranked, rs.qrels)["ndcg@10"]
    for half in "AB":
        sub = {q: rel for q, rel in rs.qrels.items() if all(corpus_half(d) == half for d in rel)}
        s = retrieval_scores(ranked, sub)
        out[f"queries_{half}"], out[f"n_{half}"] = s["ndcg@10"], s["queries"]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, required=True, help="a trainer run folder")
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--minutes", type=float, default=5.0, help="fine-tune budget of each arm")
    ap.add_argument("--base-texts", type=int, default=40_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    import torch
    from tokenizers import Tokenizer

    torch.set_num_threads(args.threads)
    recipe = recipe_from_dict(json.loads((args.run / "recipe.json").read_text()))
    blob = json.loads((args.run / "texts.json").read_text())
    if any(n for name, n in blob.get("counts", {}).items() if name.startswith("scifact")):
        ap.error(f"{args.run} was trained on the SciFact corpus already: nothing is held out")
    teacher = load_teacher(recipe.teacher.model, max_length=recipe.teacher.max_length, bf16=recipe.teacher.bf16)
    base = blob["texts"]
    base_targets = embed_cached(teacher, base, args.run / "teacher_cache", show_progress=False, log=print)
    tokenizer = Tokenizer.from_file(str(args.run / "tokenizer.json"))
    rs = read_retrieval(args.data / "retrieval" / "scifact")[0]

    pick = random.Random(1).sample(range(len(base)), min(args.base_texts, len(base)))
    half_a = truncate_to_tokens(half_texts(rs.corpus, "A"), teacher.tokenizer, recipe.train.max_train_tokens - 2)
    half_a_targets = embed_cached(teacher, half_a, args.run / "heldout_cache", show_progress=False, log=print)
    keep = pick[: len(pick) // 2]
    arms = {
        "control": ([base[i] for i in pick], base_targets[pick]),
        "half A": ([base[i] for i in keep] + half_a, np.concatenate([base_targets[keep], half_a_targets])),
    }
    results = {}
    for name, (texts, targets) in arms.items():
        model, steps = finetune(args.run, recipe, tokenizer, texts, targets, args.minutes, recipe.train.seed)
        encode = student_encoder(model, tokenizer, recipe.student.max_seq_length, recipe.train.bf16)
        results[name] = {"texts": len(texts), "steps": steps, **score(encode, args.data, rs)}
        print(name, json.dumps({k: round(v, 2) for k, v in results[name].items()}), flush=True)

    print(
        f"\n| arm | texts | steps | STSb dev | SciFact nDCG@10 | queries in A (n={results['control']['n_A']}) "
        f"| queries in B, unseen (n={results['control']['n_B']}) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['texts']:,} | {r['steps']} | {r['stsb_dev']:.2f} | {r['scifact']:.2f} "
            f"| {r['queries_A']:.2f} | {r['queries_B']:.2f} |"
        )
    if args.json:
        args.json.write_text(json.dumps({"run": str(args.run), "minutes": args.minutes, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
