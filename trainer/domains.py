"""Distillation text from the domains people index: the data folder's corpora, and what this machine holds
(man pages, Python's own help topics, docstrings and comments of installed Python source), with provenance.

`/usr/share/doc` is never read: it is where the app is judged on a real folder.
A fixed 1-in-50 slice of every source (by a hash of the text) is held out of training, so that the per-domain
student-vs-teacher diagnostic (trainer/diagnose.py) measures text the student has not read.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import io
import random
import re
import sys
import sysconfig
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

HELD_OUT_EVERY = 50
MAX_CHARS = 800  # passages are cut near here, as the corpora files are (250-800 chars)
MIN_CHARS = 40


def held_out(text: str, every: int = HELD_OUT_EVERY) -> bool:
    """True for the fixed slice of texts kept out of training for the diagnostic."""
    return int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:4], "big") % every == 0


def chunk_paragraphs(paragraphs: Iterable[str], max_chars: int = MAX_CHARS, min_chars: int = MIN_CHARS) -> list[str]:
    """Join consecutive short paragraphs up to max_chars; split a long one at sentence ends (or hard)."""
    out: list[str] = []
    buf = ""
    for para in paragraphs:
        para = " ".join(para.split())
        if not para:
            continue
        while len(para) > max_chars:
            cut = para.rfind(". ", 0, max_chars)
            cut = cut + 1 if cut > max_chars // 3 else max_chars
            if buf:
                out.append(buf)
                buf = ""
            out.append(para[:cut].strip())
            para = para[cut:].strip()
        if buf and len(buf) + 1 + len(para) > max_chars:
            out.append(buf)
            buf = ""
        buf = f"{buf} {para}".strip()
    if buf:
        out.append(buf)
    return [p for p in out if len(p) >= min_chars]


# ---------------------------------------------------------------- the data folder's corpora


def corpora_passages(folder: str | Path) -> dict[str, list[str]]:
    """{file stem: passages as `title text`} of every corpora/*.tsv.gz."""
    from trainer.data import corpus_text, read_tsv

    out = {}
    for path in sorted(Path(folder).glob("*.tsv.gz")):
        out[path.name.removesuffix(".tsv.gz")] = [
            corpus_text(r.get("title", ""), r.get("text", "")) for r in read_tsv(path)
        ]
    return out


# ---------------------------------------------------------------- man pages

_FONT = re.compile(r"\\f(\[[^\]]*\]|\(..|.)")
_NAMED = {
    "em": "—",
    "en": "–",
    "aq": "'",
    "dq": '"',
    "lq": '"',
    "rq": '"',
    "oq": "'",
    "cq": "'",
    "bu": "•",
    "co": "©",
    "rg": "®",
    "tm": "™",
    "mi": "-",
    "pl": "+",
    "ti": "~",
    "ha": "^",
    "ga": "`",
    "fm": "'",
    "hy": "-",
    "Fo": "«",
    "Fc": "»",
    "<=": "≤",
    ">=": "≥",
    "->": "→",
    "<-": "←",
    "mu": "×",
    "de": "°",
}
_ESCAPES = [
    (re.compile(r"\\\((..)"), lambda m: _NAMED.get(m.group(1), "")),
    (re.compile(r"\\\[([^\]]*)\]"), lambda m: _NAMED.get(m.group(1), "")),
    (re.compile(r"\\[*n]\(..|\\[*n]\[[^\]]*\]|\\[*n]."), lambda m: ""),  # strings and registers
    (re.compile(r"\\[shvwHSlLxNoDbkz]'[^']*'|\\s[+-]?\d+"), lambda m: ""),  # sizes, motions
    (re.compile(r"\\[-e]"), lambda m: {"\\-": "-", "\\e": "\\"}[m.group(0)]),
    (re.compile(r"\\[&|^%:c)0~ ]"), lambda m: " " if m.group(0) in ("\\~", "\\ ", "\\0") else ""),
]
# requests that start a new paragraph; the rest of the dot-lines are layout and are dropped
_BREAKS = {"SH", "SS", "PP", "P", "LP", "TP", "IP", "HP", "TQ", "sp", "br", "Sh", "Pp", "It", "Bl", "El", "Ss"}
_TEXT_MACROS = {
    "B",
    "I",
    "BI",
    "IB",
    "BR",
    "RB",
    "IR",
    "RI",
    "SM",
    "SB",
    "Nm",
    "Nd",
    "Ar",
    "Fl",
    "Cm",
    "Em",
    "Pa",
    "Xr",
    "Dq",
    "Ql",
    "Sy",
    "Va",
    "Ev",
    "Li",
    "Fn",
    "Fa",
    "Ft",
    "Op",
}


def roff_line_text(line: str) -> str:
    """The plain text of one line of roff source (font changes, escapes and named characters resolved)."""
    line = _FONT.sub("", line)
    for pattern, repl in _ESCAPES:
        line = pattern.sub(repl, line)
    return line.replace("\\", "")


def roff_paragraphs(source: str) -> list[str]:
    """Paragraphs of running text from man(7)/mdoc(7) roff source; section headings and layout dropped."""
    paras: list[list[str]] = [[]]
    skip_block = False
    for raw in source.splitlines():
        if raw.startswith(('.\\"', "'\\\"", '\\"')):
            continue  # comments
        if raw.startswith((".", "'")):
            parts = raw[1:].strip().split(None, 1)
            req = parts[0] if parts else ""
            if req in ("nf", "EX", "TS", "Bd", "de"):  # literal blocks, tables, macro definitions
                skip_block = True
            elif req in ("fi", "EE", "TE", "Ed", ".."):
                skip_block = False
            if req in _BREAKS:
                paras.append([])
                continue  # a heading's text is a label, not a sentence
            if req in _TEXT_MACROS and len(parts) > 1 and not skip_block:
                paras[-1].append(roff_line_text(parts[1].replace('"', "")))
            continue
        if skip_block:
            continue
        text = roff_line_text(raw).strip()
        if not text:
            paras.append([])
        else:
            paras[-1].append(text)
    return [" ".join(p) for p in paras if p]


def man_page_files(root: str | Path) -> list[Path]:
    """English man pages: root/man<section>/*, never the translated root/<lang>/ trees."""
    root = Path(root)
    return sorted(p for d in sorted(root.glob("man[0-9]*")) if d.is_dir() for p in d.iterdir() if p.is_file())


def read_man_page(path: Path) -> list[str]:
    """Passages of one man page (gzipped or plain); a page that is only a `.so` link gives none."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile):
        return []
    source = raw.decode("utf-8", errors="replace")
    if source.lstrip().startswith(".so "):
        return []
    return chunk_paragraphs(p for p in roff_paragraphs(source) if len(p.split()) >= 5)


def man_page_family(path: Path) -> str:
    """The command family of a page: `gcloud_compute_disks.1.gz` -> `gcloud`, `git-log.1.gz` -> `git`."""
    return re.split(r"[-_.:]", path.name, maxsplit=1)[0].lower()


def package_files(packages: Iterable[str], info: str | Path = "/var/lib/dpkg/info") -> set[str]:
    """The paths dpkg lists for these packages (none where dpkg keeps no lists); `pkg:arch.list` counts too."""
    out: set[str] = set()
    for package in filter(None, packages):
        for listing in [*Path(info).glob(f"{package}.list"), *Path(info).glob(f"{package}:*.list")]:
            out.update(line.strip() for line in listing.read_text(errors="replace").splitlines())
    return out


def man_page_texts(
    root: str | Path, n_pages: int, seed: int, per_family: int = 8, exclude: Iterable[str] = ()
) -> list[str]:
    """Passages of a seeded sample of n_pages pages, at most per_family from one command family, so that one
    tool with thousands of generated pages (a cloud CLI, perl's modules) does not become the domain.

    Pages whose path is in `exclude` are never read: the app's real-folder benchmark judges search on the
    pages of a few packages, so a recipe keeps those out of its text."""
    rng = random.Random(seed)
    excluded = set(exclude)
    families: dict[str, list[Path]] = {}
    for f in man_page_files(root):
        if str(f) in excluded:
            continue
        families.setdefault(man_page_family(f), []).append(f)
    files = [f for fam in sorted(families) for f in rng.sample(families[fam], min(per_family, len(families[fam])))]
    if 0 <= n_pages < len(files):
        files = sorted(rng.sample(files, n_pages))
    return [t for f in files for t in read_man_page(f)]


# ---------------------------------------------------------------- Python source and help


def source_texts(source: str) -> list[str]:
    """Docstrings (cleaned) and comment blocks (consecutive # lines, joined) of one Python module's source."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    docs = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                # a docstring's first paragraph is its summary; parameter lists and examples follow blank lines
                docs.extend(p for p in re.split(r"\n\s*\n", doc) if not p.lstrip().startswith((">>>", "..")))
    comments, block, last_row = [], [], -2
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                text = tok.string.lstrip("#").strip()
                if tok.start[0] != last_row + 1 and block:
                    comments.append(" ".join(block))
                    block = []
                if text and not text.startswith(("!", "-*-", "noqa", "type:", "pragma", "pylint", "fmt:")):
                    block.append(text)
                last_row = tok.start[0]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    if block:
        comments.append(" ".join(block))
    texts = [" ".join(t.split()) for t in docs + comments]
    return [t for t in texts if len(t) >= MIN_CHARS and sum(c.isalpha() for c in t) > 0.6 * len(t)][:200]


@dataclass(frozen=True)
class PythonSource:
    """One body of installed Python source: a distribution (or the standard library) and its licence."""

    name: str
    version: str
    licence: str
    files: tuple[Path, ...]


def _licence(meta) -> str:
    value = meta.get("License-Expression") or ""
    if not value:
        lic = (meta.get("License") or "").strip()
        value = lic.splitlines()[0][:60] if lic and len(lic) < 200 else ""
    if not value:
        classes = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
        value = ", ".join(classes)
    return value or "not stated"


def python_sources(paths: Iterable[str | Path] | None = None) -> list[PythonSource]:
    """The standard library plus every installed distribution with .py files, sorted by name.

    `paths`: where to look for distributions (default: this interpreter's sys.path).
    """
    from importlib import metadata

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    out = []
    if paths is None:
        files = tuple(sorted(p for p in stdlib.glob("*.py")) + sorted(stdlib.glob("[a-z]*/*.py")))
        files = tuple(f for f in files if "test" not in f.parts[-2] and "site-packages" not in f.parts)
        out.append(PythonSource("python-stdlib", sys.version.split()[0], "PSF-2.0", files))
    seen = set()
    dists = metadata.distributions(path=[str(p) for p in paths]) if paths is not None else metadata.distributions()
    for dist in dists:
        name = (dist.metadata.get("Name") or "").lower()
        if not name or name in seen:
            continue
        seen.add(name)
        files = tuple(sorted(Path(dist.locate_file(f)) for f in dist.files or [] if str(f).endswith(".py")))
        files = tuple(f for f in files if "tests" not in f.parts and "test" not in f.parts)
        if files:
            out.append(PythonSource(name, dist.version, _licence(dist.metadata), files))
    return sorted(out, key=lambda s: s.name)


def python_source_texts(sources: list[PythonSource], files_per_source: int, seed: int) -> dict[str, list[str]]:
    """{source name: docstring and comment passages} from a seeded sample of each source's files."""
    rng = random.Random(seed)
    out = {}
    for src in sources:
        files = list(src.files)
        if 0 <= files_per_source < len(files):
            files = sorted(rng.sample(files, files_per_source))
        texts = []
        for f in files:
            try:
                texts.extend(source_texts(f.read_text(encoding="utf-8", errors="replace")))
            except OSError:
                continue
        out[src.name] = texts
    return out


def python_help_topics() -> list[str]:
    """Passages of Python's own documentation that ships with the interpreter (pydoc's help topics)."""
    try:
        from pydoc_data.topics import topics
    except ImportError:
        return []
    return [t for key in sorted(topics) for t in chunk_paragraphs(re.split(r"\n\s*\n", topics[key]))]


# ---------------------------------------------------------------- provenance


def provenance(origin: str, licence: str, texts: list[str], **more) -> dict:
    """What the model card records for a source read from this machine rather than the data folder."""
    from trainer.data import texts_hash

    # sha256 of the texts themselves (first 16 hex, as the data files'): what this machine held is not a file
    return {"origin": origin, "licence": licence, "texts": len(texts), "sha256": texts_hash(texts), **more}
