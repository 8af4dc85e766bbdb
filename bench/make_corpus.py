"""Write a folder of real text files for the indexing benchmarks: Wikipedia (then Wikinews) articles from the
public data folder, one article per .txt file, paragraphs separated by blank lines, 500 files per sub-folder.

    python bench/make_corpus.py --data ../shared/data --out /tmp/wiki-corpus --paragraphs 90000

A paragraph of these sets is about one 128-token chunk, so --paragraphs sets the index size roughly;
bench/index_corpus.py prints the exact chunk count.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import sys
from pathlib import Path

csv.field_size_limit(sys.maxsize)
FILES_PER_FOLDER = 500


def articles(data: Path):
    """(source, page id, [paragraphs]) in file order; rows of one page are contiguous in these files."""
    for source in ("enwiki_slice", "wikinews_en"):
        path = data / "sentences" / source / "paragraphs.tsv.gz"
        page, paras = None, []
        with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                pid = row.get("page_id") or row.get("article_id")
                if pid != page and paras:
                    yield source, page, paras
                    paras = []
                page = pid
                if row["text"].strip():
                    paras.append(row["text"].strip())
        if paras:
            yield source, page, paras


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--paragraphs", type=int, default=90_000)
    args = ap.parse_args()
    if args.out.exists() and any(args.out.iterdir()):
        print(f"{args.out} is not empty; choose a new folder", file=sys.stderr)
        return 2
    n_files = n_paras = 0
    for source, page, paras in articles(args.data):
        folder = args.out / source / f"{n_files // FILES_PER_FOLDER:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{page}.txt").write_text("\n\n".join(paras) + "\n", encoding="utf-8")
        n_files += 1
        n_paras += len(paras)
        if n_paras >= args.paragraphs:
            break
    print(f"{n_files} files, {n_paras} paragraphs in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
