"""How often the secret-content rules fire on real documentation (false positives), and how fast they are.

    python bench/secret_scan.py /usr/share/doc /usr/share/man [--show 20]

Reads every file under the folders (gzip-compressed ones decompressed, at most 10 MB each), decodes
it as the indexer does, and runs klein_app.sources.secrets.find_secret on it. Prints files scanned,
files flagged (with the rule), MB/s. Every hit on such a folder is a false positive: distribution
documentation holds no credentials.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import sys
import time
from collections import Counter

from klein_app.sources.readers import ReadError
from klein_app.sources.readers.text import decode_text
from klein_app.sources.secrets import find_secret

CAP = 10 << 20


def texts(roots):
    for root in roots:
        for folder, _dirs, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                try:
                    if name.endswith(".gz"):
                        with gzip.open(path, "rb") as fh:
                            data = fh.read(CAP)
                    else:
                        with open(path, "rb") as fh:
                            data = fh.read(CAP)
                    yield path, decode_text(data)
                except (OSError, EOFError, ReadError, gzip.BadGzipFile):
                    continue


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--show", type=int, default=20, help="flagged files to list")
    args = ap.parse_args()
    n = chars = 0
    seconds = 0.0
    flagged = []
    for path, text in texts(args.folders):
        n += 1
        chars += len(text)
        t = time.perf_counter()
        reason = find_secret(text)
        seconds += time.perf_counter() - t
        if reason:
            flagged.append((path, reason))
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; python {sys.version.split()[0]}"
    )
    print(
        f"scanned {n} text files, {chars / 1e6:.1f} M characters, in {seconds:.2f} s "
        f"({chars / 1e6 / max(seconds, 1e-9):.1f} M chars/s)"
    )
    print(f"flagged {len(flagged)} ({100 * len(flagged) / max(n, 1):.3f} %)")
    for reason, count in Counter(r for _, r in flagged).most_common():
        print(f"  {count:5d}  {reason}")
    for path, reason in flagged[: args.show]:
        print(f"  {path}: {reason}")


if __name__ == "__main__":
    main()
