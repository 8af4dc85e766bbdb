"""`klein-search train`: tokenizer -> teacher cache -> student -> evaluation -> export, each stage resumable.

    python -m trainer.run --recipe klein-v1 --data ../shared/data --out runs/klein-v1 [--export assets/klein-v1]

Every stage leaves its output in --out and is skipped when that output is already there, so re-running the same
command after an interruption continues where it stopped.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

STAGES = ("texts", "tokenizer", "teacher", "student", "eval", "export")


def _log(out: Path):
    def log(msg: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        with open(out / "run.log", "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    return log


@dataclass
class TrainingTexts:
    """What the student reads, and for each text the teacher text whose vector it learns.

    The teacher texts are unique; target_index[i] is the row of texts[i]'s target. For most texts the teacher text
    is the text itself; the Hindi side of an English-Hindi pair learns the teacher's vector of the English side.
    """

    texts: list[str]
    sources: list[str]
    teacher_texts: list[str]
    target_index: list[int]
    counts: dict[str, int]


def pair_texts(by_source: dict[str, list[str]], pairs: list[tuple[str, str]]) -> TrainingTexts:
    """Student texts and their teacher targets: every text its own target, both sides of a pair the English."""
    texts, sources, teacher_of = [], [], []
    for name, items in by_source.items():
        texts.extend(items)
        sources.extend([name] * len(items))
        teacher_of.extend(items)
    for side, col in (("en_hi_hi", 0), ("en_hi_en", 1)):
        texts.extend(p[col] for p in pairs)
        sources.extend([side] * len(pairs))
        teacher_of.extend(p[1] for p in pairs)
    rows: dict[str, int] = {}
    index = [rows.setdefault(t, len(rows)) for t in teacher_of]
    counts = {k: len(v) for k, v in by_source.items()}
    if pairs:
        counts.update(en_hi_hi=len(pairs), en_hi_en=len(pairs))
    return TrainingTexts(texts, sources, list(rows), index, counts)


def prepare_texts(recipe, data_dir: Path, out: Path, log) -> TrainingTexts:
    """The training texts (cut to max_train_tokens teacher tokens) and their sources and targets, cached as JSON."""
    path = out / "texts.json"
    if path.exists():
        blob = json.loads(path.read_text(encoding="utf-8"))
        teacher_texts = blob.get("teacher_texts", blob["texts"])
        index = blob.get("target_index", list(range(len(blob["texts"]))))
        return TrainingTexts(blob["texts"], blob["sources"], teacher_texts, index, blob.get("counts", {}))
    from tokenizers import Tokenizer

    from trainer.data import training_pairs, training_texts, truncate_to_tokens
    from trainer.teacher import resolve_model_path

    tok = Tokenizer.from_file(str(resolve_model_path(recipe.teacher.model) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    cut = lambda items: truncate_to_tokens(items, tok, recipe.train.max_train_tokens - 2) if items else []  # noqa: E731
    by_source = {k: cut(v) for k, v in training_texts(data_dir, recipe.data).items()}
    pairs = training_pairs(data_dir, recipe.data)
    pairs = list(zip(cut([p[0] for p in pairs]), cut([p[1] for p in pairs])))
    tt = pair_texts(by_source, pairs)
    log(f"texts: {len(tt.texts)} ({len(tt.teacher_texts)} teacher texts) {tt.counts}")
    tmp = path.with_suffix(".tmp")
    blob = {"texts": tt.texts, "sources": tt.sources, "counts": tt.counts}
    if tt.teacher_texts != tt.texts:
        blob.update(teacher_texts=tt.teacher_texts, target_index=tt.target_index)
    tmp.write_text(json.dumps(blob), encoding="utf-8")
    tmp.replace(path)
    return tt


def init_folder(recipe, out: Path) -> Path:
    """The model folder a continuation recipe starts from: a path, or a recipe name whose model is bundled in
    assets/ or was trained beside this run (OUT/../NAME/model, where `--out runs/NAME` puts it)."""
    spec = recipe.student.init_from
    repo = Path(__file__).resolve().parent.parent
    for folder in (Path(spec), repo / "assets" / spec, out.parent / spec / "model"):
        if (folder / "klein.json").exists():
            return folder
    raise SystemExit(
        f"{recipe.name} starts from {spec!r}, which is neither bundled nor trained here; build it first: "
        f"klein-search train --recipe {spec} --data DATA --out {out.parent / spec}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="klein-search train", description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", default="klein-v1", help="recipe name in trainer/recipes/ or a TOML path")
    ap.add_argument("--data", required=True, type=Path, help="the public data folder")
    ap.add_argument("--out", required=True, type=Path, help="work folder: caches, checkpoints, logs")
    ap.add_argument("--export", type=Path, default=None, help="model folder to write (default OUT/model)")
    ap.add_argument("--stages", default=",".join(STAGES), help=f"comma list of {STAGES}")
    ap.add_argument("--steps", type=int, default=None, help="override train.steps")
    ap.add_argument("--max-steps", type=int, default=None, help="stop after this step (resume later)")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)

    from trainer.recipe import load_recipe

    if not args.data.is_dir():
        ap.error(f"no data folder at {args.data}")
    recipe = load_recipe(args.recipe)
    if args.steps is not None:
        recipe.train.steps = args.steps
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    log = _log(out)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = set(stages) - set(STAGES)
    if unknown:
        ap.error(f"unknown stages {sorted(unknown)}")
    export_dir = args.export or out / "model"
    t_start = time.time()
    (out / "recipe.json").write_text(json.dumps(recipe.to_dict(), indent=2))

    timings_path = out / "timings.json"
    timings: dict[str, float] = json.loads(timings_path.read_text()) if timings_path.exists() else {}

    def timed(stage: str, t0: float) -> None:
        # stages that were cached cost ~nothing; a resumed stage adds to what it cost before
        spent = time.time() - t0
        if spent > 2:
            timings[stage] = round(timings.get(stage, 0.0) + spent, 1)
            timings_path.write_text(json.dumps(timings, indent=2))

    t0 = time.time()
    tt = prepare_texts(recipe, args.data, out, log)
    texts = tt.teacher_texts  # what the teacher embeds
    timed("texts", t0)

    if "tokenizer" in stages or "student" in stages:
        from trainer.tokenizer import train_or_load_tokenizer

        t0 = time.time()
        tokenizer = train_or_load_tokenizer(
            recipe.tokenizer,
            args.data,
            out / "tokenizer.json",
            log,
            copy_from=recipe.student.init_from and init_folder(recipe, out),
        )
        timed("tokenizer", t0)

    targets = None
    teacher_proc = None
    if "teacher" in stages or "student" in stages:
        from trainer.teacher import TargetPool, cache_dir, embed_cached, load_teacher

        teacher = load_teacher(recipe.teacher.model, max_length=recipe.teacher.max_length, bf16=recipe.teacher.bf16)
        cache_root = out / "teacher_cache"
        if recipe.train.overlap_teacher and "student" in stages:
            # its own process (and session), so it keeps its share of the CPU while the student trains
            cmd = [
                sys.executable,
                "-m",
                "trainer.run",
                "--recipe",
                str(args.recipe),
                "--data",
                str(args.data),
                "--out",
                str(out),
                "--stages",
                "teacher",
                "--no-progress",
            ]
            teacher_proc = subprocess.Popen(
                cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=open(out / "teacher.err", "ab")
            )
            targets = TargetPool(
                len(texts),
                teacher.dim,
                cache=cache_dir(cache_root, teacher, texts),
                shard_size=recipe.teacher.shard_size,
            )
            log(f"teacher: embedding in process {teacher_proc.pid} while the student trains")
        else:
            t0 = time.time()
            targets = embed_cached(
                teacher,
                texts,
                cache_root,
                shard_size=recipe.teacher.shard_size,
                batch_size=recipe.teacher.batch_size,
                show_progress=not args.no_progress,
                workers=recipe.teacher.workers,
                order_seed=recipe.train.seed,
                log=log,
            )
            log(f"teacher: {targets.shape} ready in {time.time() - t0:.0f}s")
            timed("teacher", t0)
            targets = TargetPool.from_array(targets)

    if "student" in stages:
        from trainer.distill import train_student

        t0 = time.time()
        trained = train_student(
            recipe,
            tokenizer=tokenizer,
            teacher=teacher,
            texts=tt.texts,
            targets=targets,
            target_index=tt.target_index,
            init_folder=init_folder(recipe, out) if recipe.student.init_from else None,
            data_dir=args.data,
            out=out,
            max_steps=args.max_steps,
            log=log,
        )
        timed("student", t0)
        if teacher_proc is not None and teacher_proc.poll() is None:
            # training is over: vectors the student can no longer use are not worth the CPU
            teacher_proc.terminate()
            teacher_proc.wait()
            log("teacher: stopped with training (finished shards stay cached)")
        if trained is None:
            return 1

    if "export" in stages or "eval" in stages:
        from trainer.export import export_and_evaluate

        t0 = time.time()
        done = export_and_evaluate(
            recipe,
            out=out,
            export_dir=export_dir,
            data_dir=args.data,
            evaluate="eval" in stages,
            log=log,
        )
        if done is None:
            log("export: training not finished; nothing exported")
            return 1
        timed("eval_export", t0)
    log(f"run: done in {time.time() - t_start:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
