"""int8 against float32 for one model folder: cosine of the two runtimes' vectors over real text, and STS
Benchmark dev (and test) Spearman at each precision.

    python bench/int8_quality.py --model assets/klein-v2 --data ../shared/data

The bar klein_model.precision holds int8 to: cosine >= 0.99 (mean and min) and an STSb dev drop <= 0.3. A model
that misses it should carry `"int8": false` in its klein.json extra section, so that "auto" keeps float32.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def paragraphs(data: Path, n: int) -> list[str]:
    from trainer.data import read_tsv

    out = []
    for row in read_tsv(data / "sentences" / "enwiki_slice" / "paragraphs.tsv.gz"):
        if len(row["text"]) > 300:
            out.append(row["text"])
        if len(out) >= n:
            break
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="Klein model folder (default: the bundled model)")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--paragraphs", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    import klein_model
    from klein_model.precision import machine_description
    from trainer.data import read_sts
    from trainer.evaluate import eval_sts

    fp32 = klein_model.load(args.model, precision="float32")
    int8 = klein_model.load(args.model, precision="int8")
    dev = read_sts(args.data / "sts" / "stsb_dev.tsv")
    texts = {
        "stsb_dev sentences": sorted(set(dev.sentences1 + dev.sentences2)),
        "enwiki paragraphs": paragraphs(args.data, args.paragraphs),
    }
    report = {"machine": machine_description(), "model": f"{fp32.name} {fp32.info.version}", "cosine": {}, "sts": {}}
    for name, items in texts.items():
        cos = (fp32.encode(items) * int8.encode(items)).sum(axis=1)
        report["cosine"][name] = {
            "n": len(items),
            "mean": round(float(cos.mean()), 5),
            "min": round(float(cos.min()), 5),
        }
        print(f"cosine int8 vs float32, {name} (n={len(items)}): mean {cos.mean():.5f}, min {cos.min():.5f}")
    for split in ("stsb_dev", "stsb_test"):
        for label, m in (("float32", fp32), ("int8", int8)):
            t0 = time.perf_counter()
            score = eval_sts(lambda t, m=m: m.encode(list(t)), args.data / "sts" / f"{split}.tsv")["spearman"]
            report["sts"].setdefault(split, {})[label] = round(score, 2)
            print(f"{split} {label}: spearman {score:.2f} ({time.perf_counter() - t0:.0f}s)")
        drop = report["sts"][split]["float32"] - report["sts"][split]["int8"]
        report["sts"][split]["drop"] = round(drop, 2)
        print(f"{split} drop float32 -> int8: {drop:.2f}")
    worst = min(v["min"] for v in report["cosine"].values())
    report["holds_bar"] = bool(worst >= 0.99 and report["sts"]["stsb_dev"]["drop"] <= 0.3)
    print(f"int8 holds the bar (cos >= 0.99, STSb dev drop <= 0.3): {report['holds_bar']}")
    report["int8_runtime"] = int8.runtime
    print(f"int8 runtime: {int8.runtime} (KLEIN_INT8_RUNTIME=torch measures torch's)")
    print(f"machine: {report['machine']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
