"""Write the trained student as a Klein model folder, evaluate it, and fill klein.json and the model card."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

from klein_model.precision import machine_description
from trainer.card import write_card

# files whose content defines the training text, hashed into klein.json
DATA_FILES = (
    "sentences/enwiki_slice/sentences.tsv.gz",
    "sentences/enwiki_slice/paragraphs.tsv.gz",
    "sentences/enwiki_slice/title_lead.tsv.gz",
    "sentences/wikinews_en/sentences.tsv.gz",
    "sentences/wikinews_en/paragraphs.tsv.gz",
    "sentences/wikinews_en/title_lead.tsv.gz",
    "pairs/wikiqa/wikiqa_train.tsv",
    "pairs/trecqa/trecqa_train.tsv",
    "pairs/climate_fever/claim_evidence.tsv",
    "pairs/mrpc/mrpc_train.tsv",
    "pairs/snli_devtest/snli_dev_pairs.tsv",
    "pairs/snli_devtest/snli_test_pairs.tsv",
    "retrieval/scifact/corpus.tsv",
    "multilingual/tatoeba_en_hi.tsv",
    "multilingual/enindic_en_hi_devtune.tsv",
)
DATA_GLOBS = ("corpora/*.tsv.gz", "multilingual/en_hi_train/*.tsv")


def data_files(data_dir: Path, counts: dict[str, int]) -> list[str]:
    """The data files behind the sources this run read (the v1 list, plus corpora and pair files when used)."""
    rels = list(DATA_FILES)
    for pattern in DATA_GLOBS:
        for path in sorted(Path(data_dir).glob(pattern)):
            rel = path.relative_to(data_dir).as_posix()
            used = counts.get(f"corpora/{path.name.removesuffix('.tsv.gz')}") or (
                rel.startswith("multilingual/en_hi_train/") and counts.get("en_hi_hi")
            )
            if used:
                rels.append(rel)
    return rels


def local_provenance(texts_meta: dict, mix) -> dict:
    """Origin, licence and a hash of the texts read from the training machine rather than the data folder."""
    from trainer import domains

    by_source: dict[str, list[str]] = {}
    for text, src in zip(texts_meta["texts"], texts_meta["sources"]):
        by_source.setdefault(src, []).append(text)
    out = {}
    if by_source.get("man_pages"):
        out["man_pages"] = domains.provenance(
            f"English man pages ({mix.man_root}/man*/, at most 8 pages per command family; never /usr/share/doc)",
            "that of each page's Debian package (GPL, BSD, MIT and others; see the package's copyright file)",
            by_source["man_pages"],
        )
    if by_source.get("python_help"):
        out["python_help"] = domains.provenance(
            f"pydoc help topics of Python {platform.python_version()}", "PSF-2.0", by_source["python_help"]
        )
    if by_source.get("python_source"):
        dists = {s.name: f"{s.version} ({s.licence})" for s in domains.python_sources()}
        out["python_source"] = domains.provenance(
            f"docstrings and comment blocks of the Python standard library and {len(dists) - 1} installed"
            f" distributions ({mix.python_files_per_source} files each)",
            "per distribution, listed in `distributions`",
            by_source["python_source"],
            distributions=dists,
        )
    return out


def load_student(out: Path):
    import torch
    from tokenizers import Tokenizer
    from transformers import RobertaConfig, RobertaModel

    blob = torch.load(out / "student.pt", weights_only=False)
    model = RobertaModel(RobertaConfig(**blob["config"]), add_pooling_layer=False)
    model.load_state_dict(blob["model"])
    return model.eval(), Tokenizer.from_file(str(out / "tokenizer.json")), blob


def _fp16_fidelity(model, tokenizer, folder: Path, max_len: int) -> float:
    """Min cosine between the in-memory float32 student and the saved folder loaded at float32."""
    import klein_model
    from trainer.distill import student_encoder

    probe = [
        "A man is playing a guitar on the street.",
        "The committee approved the budget after a long debate.",
        "How are glacier caves formed?",
        "Photosynthesis converts light energy into chemical energy stored in glucose.",
        "नमस्ते, आप कैसे हैं?",
        "def main():\n    return 0",
    ] * 4
    a = student_encoder(model, tokenizer, max_len, bf16=False)(probe)
    b = klein_model.load(folder, precision="float32").encode(probe)
    return float((a * b).sum(1).min())


def export_folder(recipe, out: Path, export_dir: Path, extra: dict, data_dir: Path, log=print) -> Path:
    import torch

    from klein_model.folder import save_model_folder

    model, tokenizer, _ = load_student(out)
    if recipe.train.interpolate and recipe.student.init == "model":
        from trainer.interpolate import interpolate_student
        from trainer.run import init_folder

        extra["interpolation"] = interpolate_student(
            model, tokenizer, init_folder(recipe, out), data_dir, recipe.train, recipe.student.max_seq_length, log
        )
    kwargs = dict(
        name=recipe.name,
        version=recipe.version,
        max_seq_length=recipe.student.max_seq_length,
        matryoshka_dims=list(recipe.student.matryoshka_dims),
        extra=extra,
    )
    save_model_folder(export_dir, model, tokenizer, dtype=torch.float16, **kwargs)
    fid = _fp16_fidelity(model, tokenizer, export_dir, recipe.student.max_seq_length)
    if fid < 0.999:
        log(f"export: float16 weights moved vectors (min cos {fid:.5f}); storing float32")
        save_model_folder(export_dir, model, tokenizer, dtype=None, **kwargs)
        extra["weights_dtype"] = "float32"
    else:
        extra["weights_dtype"] = "float16"
    extra["float16_min_cosine"] = round(fid, 6)
    from klein_model.folder import update_klein_extra

    update_klein_extra(export_dir, weights_dtype=extra["weights_dtype"], float16_min_cosine=extra["float16_min_cosine"])
    return export_dir


def cached_results(path: Path, model: str, data_dir: Path, log=print) -> dict:
    """A reference model's evaluation (the teacher, the start model), kept in path: it does not change."""
    if path.exists():
        blob = json.loads(path.read_text())
        return blob.get("results", blob)  # also the file `python -m trainer.evaluate --json` writes
    from trainer.evaluate import evaluate, load_encoder

    encode, label = load_encoder(model)
    res = evaluate(encode, data_dir, only=None, log=lambda m: log(f"{label} {m}"))
    path.write_text(json.dumps(res, indent=2))
    return res


def diagnostic(start: Path, export_dir: Path, out: Path, data_dir: Path, teacher: str, log=print) -> dict:
    """The per-domain closeness table for the start model (cached) and the export."""
    from trainer.diagnose import cached_encoder, diagnose
    from trainer.evaluate import load_encoder

    t_enc = cached_encoder(load_encoder(teacher)[0], out / "diag_cache", "teacher")
    block = {}
    for key, folder in (("before", start), ("after", export_dir)):
        cache = out / f"diag_{key}.json"  # also what `python -m trainer.diagnose --json` writes
        if cache.exists():
            blob = json.loads(cache.read_text())
            res, label = blob.get("results", blob), blob.get("model", folder.name)
        else:
            enc, label = load_encoder(str(folder))
            res = diagnose(enc, t_enc, data_dir, log=lambda m, key=key: log(f"diagnose {key} {m}"))
            cache.write_text(json.dumps({"model": label, "results": res}, indent=2))
        block[key], block[f"{key}_model"] = res, label.split(" (")[0]
    return block


def export_and_evaluate(
    recipe, *, out: Path, export_dir: Path, data_dir: Path, evaluate: bool = True, log=print
) -> Path | None:
    if not (out / "student.pt").exists():
        return None
    from trainer.data import file_hashes

    _, _, blob = load_student(out)
    texts_meta = json.loads((out / "texts.json").read_text())
    data_block = {
        "files": file_hashes(data_dir, data_files(data_dir, texts_meta["counts"])),
        "texts": texts_meta["counts"],
    }
    local = local_provenance(texts_meta, recipe.data)
    if local:
        data_block["local"] = local
    timings = json.loads((out / "timings.json").read_text()) if (out / "timings.json").exists() else {}
    extra = {
        "recipe": recipe.to_dict(),
        "teacher": {"name": "sentence-transformers/all-MiniLM-L6-v2", "package": recipe.teacher.model},
        "data": data_block,
        "train": {
            "steps": blob["steps"],
            "sequences": blob.get("sequences"),
            "texts_with_targets": blob.get("texts_with_targets"),
            "teacher_overlapped_training": recipe.train.overlap_teacher,
            "train_wall_s": round(blob["elapsed"], 1),
            "machine": machine_description(),
            "torch": __import__("torch").__version__,
            "python": platform.python_version(),
            "stage_wall_s": timings,
        },
    }
    export_folder(recipe, out, export_dir, extra, data_dir, log)
    log(f"export: {export_dir}")
    # results cached for an earlier export of other weights (another interpolation) are stale
    from klein_model.folder import read_klein_info

    stamp, fingerprint = out / "export_fingerprint.txt", read_klein_info(export_dir).fingerprint
    if not stamp.exists() or stamp.read_text().strip() != fingerprint:
        for stale in (out / "student_eval.json", out / "diag_after.json"):
            stale.unlink(missing_ok=True)
        stamp.write_text(fingerprint + "\n")
    if not evaluate:
        return export_dir
    from klein_model.folder import update_klein_extra

    t0 = time.time()
    # cached like the references, so that sets evaluated side by side (`python -m trainer.evaluate --json`,
    # merged into this file) are not run again
    student = cached_results(out / "student_eval.json", str(export_dir), data_dir, log)
    log(f"eval: student in {time.time() - t0:.0f}s")
    teacher = cached_results(out / "teacher_eval.json", recipe.teacher.model, data_dir, log)
    eval_block = {"student": student, "teacher": teacher, "evaluated_with": "python -m trainer.evaluate"}
    start = None
    if recipe.student.init == "model":
        from trainer.run import init_folder

        start = init_folder(recipe, out)
        eval_block["previous"] = cached_results(out / "previous_eval.json", str(start), data_dir, log)
        eval_block["previous_model"] = recipe.student.init_from
        # a continuation is judged by what it changed: closeness to the teacher by domain, before and after
        update_klein_extra(
            export_dir, diagnostic=diagnostic(start, export_dir, out, data_dir, recipe.teacher.model, log)
        )
    (out / "eval.json").write_text(json.dumps(eval_block, indent=2))
    update_klein_extra(export_dir, eval=eval_block)
    write_card(export_dir, out)
    return export_dir
