"""Peak RSS of `klein-search add` on a hostile folder: a 50 MB log, a 9 MB log and a DOCX zip bomb
(about 4 MB holding 1 GB of XML). The target is a peak under 1 GiB whatever the folder holds.

    python bench/hostile_folder.py [--tiny] [--max-file-mb 64] [--log-mb 50] [--work DIR]

--tiny indexes with a tiny random model (klein_model.testing): the same pipeline, far less embedding
time, so the figure is the pipeline's own memory; without it the bundled model is used (slow on a
laptop CPU for 60 MB of text). --max-file-mb raises the size cap so the 50 MB log is read (the default
10 MB cap skips it by size). Prints each file's fate and the child process's peak RSS.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path


def write_log(path: Path, mb: int) -> None:
    line = "2026-12-03T10:{m:02d}:{s:02d} worker-{w} handled request {r} for tenant {t} in {ms} ms\n"
    with open(path, "w", encoding="utf-8") as fh:
        n = 0
        while fh.tell() < mb << 20:
            fh.write(
                "".join(
                    line.format(m=(n // 60) % 60, s=n % 60, w=n % 8, r=n, t=n % 97, ms=n % 500)
                    for n in range(n, n + 1000)
                )
            )
            n += 1000


def write_docx_bomb(path: Path, xml_mb: int) -> None:
    import docx

    d = docx.Document()
    d.add_paragraph("cover page")
    buf = io.BytesIO()
    d.save(buf)
    src = zipfile.ZipFile(buf)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename != "word/document.xml":
                dst.writestr(item, data)
                continue
            head, tail = data.split(b"</w:body>")
            para = b"<w:p><w:r><w:t>" + b"A" * 4000 + b"</w:t></w:r></w:p>"
            info = zipfile.ZipInfo("word/document.xml")
            info.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(info, "w", force_zip64=True) as out:
                out.write(head)
                block = para * 256  # ~1 MB
                for _ in range(xml_mb):
                    out.write(block)
                out.write(b"</w:body>" + tail)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--max-file-mb", type=float, default=64.0)
    ap.add_argument("--log-mb", type=int, default=50)
    ap.add_argument("--bomb-gb", type=float, default=1.0)
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="klein-hostile-"))
    folder = work / "folder"
    folder.mkdir(parents=True, exist_ok=True)
    t = time.monotonic()
    write_log(folder / "huge.log", args.log_mb)
    write_log(folder / "app.log", 9)
    write_docx_bomb(folder / "bomb.docx", int(args.bomb_gb * 1024))
    (folder / "note.md").write_text("an ordinary note about the hostile folder\n")
    sizes = {p.name: p.stat().st_size for p in folder.iterdir()}
    print(
        f"built in {time.monotonic() - t:.0f} s: "
        + ", ".join(f"{n} {s / 2**20:.1f} MB" for n, s in sorted(sizes.items()))
    )
    db = work / "db"
    config = [f"max_file_mb = {args.max_file_mb}"]
    if args.tiny:
        from klein_model.testing import make_tiny_model

        config.append(f'model = "{make_tiny_model(work / "tiny")}"')
    db.mkdir(exist_ok=True)
    (db / "config.toml").write_text("\n".join(config) + "\n")
    t = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "klein_app.cli", "--db", str(db), "add", str(folder), "--json"],
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - t
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if proc.returncode:
        print(proc.stderr[-2000:])
    report = json.loads(proc.stdout)["report"] if proc.returncode == 0 else {}
    files = subprocess.run(
        [sys.executable, "-m", "klein_app.cli", "--db", str(db), "files", "--json"], capture_output=True, text=True
    )
    for row in json.loads(files.stdout or "[]"):
        print(f"  {Path(row['path']).name:10s} {row['status']:8s} {row['n_chunks']:7d} chunks  {row['skip_reason']}")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; model: {'tiny random' if args.tiny else 'bundled'}; "
        f"max_file_mb {args.max_file_mb:g}"
    )
    print(f"add: rc {proc.returncode}, {seconds:.0f} s, {report.get('chunks_embedded', 0)} chunks embedded")
    print(f"peak RSS of `klein-search add`: {peak_mb:.0f} MB ({'under' if peak_mb < 1024 else 'OVER'} 1 GiB)")


if __name__ == "__main__":
    main()
