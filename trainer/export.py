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


def export_folder(recipe, out: Path, export_dir: Path, extra: dict, log=print) -> Path:
    import torch
    from klein_model.folder import save_model_folder

    model, tokenizer, _ = load_student(out)
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


def teacher_results(recipe, out: Path, data_dir: Path, log=print) -> dict:
    """The teacher on the same sets (cached: it does not change between runs)."""
    path = out / "teacher_eval.json"
    if path.exists():
        blob = json.loads(path.read_text())
        return blob.get("results", blob)  # also the file `python -m trainer.evaluate --json` writes
    from trainer.evaluate import evaluate
    from trainer.teacher import load_teacher

    teacher = load_teacher(recipe.teacher.model, max_length=recipe.teacher.max_length, bf16=recipe.teacher.bf16)
    res = evaluate(lambda t: teacher.encode(list(t)), data_dir, only=None, log=lambda m: log("teacher " + m))
    path.write_text(json.dumps(res, indent=2))
    return res


def export_and_evaluate(
    recipe, *, out: Path, export_dir: Path, data_dir: Path, evaluate: bool = True, log=print
) -> Path | None:
    if not (out / "student.pt").exists():
        return None
    from trainer.data import file_hashes

    _, _, blob = load_student(out)
    texts_meta = json.loads((out / "texts.json").read_text())
    timings = json.loads((out / "timings.json").read_text()) if (out / "timings.json").exists() else {}
    extra = {
        "recipe": recipe.to_dict(),
        "teacher": {"name": "sentence-transformers/all-MiniLM-L6-v2", "package": recipe.teacher.model},
        "data": {"files": file_hashes(data_dir, DATA_FILES), "texts": texts_meta["counts"]},
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
    export_folder(recipe, out, export_dir, extra, log)
    log(f"export: {export_dir}")
    if not evaluate:
        return export_dir
    from klein_model.folder import update_klein_extra

    from trainer.evaluate import evaluate as run_eval
    from trainer.evaluate import load_encoder

    encode, label = load_encoder(str(export_dir))
    t0 = time.time()
    student = run_eval(encode, data_dir, only=None, log=lambda m: log("student " + m))
    log(f"eval: student in {time.time() - t0:.0f}s")
    teacher = teacher_results(recipe, out, data_dir, log)
    eval_block = {"student": student, "teacher": teacher, "evaluated_with": "python -m trainer.evaluate"}
    (out / "eval.json").write_text(json.dumps(eval_block, indent=2))
    update_klein_extra(export_dir, eval=eval_block)
    write_card(export_dir, out)
    return export_dir
