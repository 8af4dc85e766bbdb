"""Readers for the public data folder and the training-text mix.

Every TSV there has a header line and no quoting (some sentences begin with a double quote), so rows are read with
csv.QUOTE_NONE; `.tsv.gz` files are the same text gzipped.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import random
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

csv.field_size_limit(sys.maxsize)


def read_tsv(path: str | Path) -> Iterator[dict[str, str]]:
    """Rows of a header-first, unquoted TSV (plain or gzipped) as dicts."""
    path = Path(path)
    raw = (
        gzip.open(path, "rt", encoding="utf-8", newline="")
        if path.suffix == ".gz"
        else open(path, encoding="utf-8", newline="")
    )
    with raw as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None:
            return
        for row in reader:
            if len(row) < len(header):
                row = row + [""] * (len(header) - len(row))
            yield dict(zip(header, row))


def write_tsv(path: str | Path, header: list[str], rows: Iterable[Iterable[object]]) -> None:
    """The inverse of read_tsv (used by tests to build tiny data folders)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # no quoting at all, as the data folder's files: fields hold no tabs or newlines
    lines = ["\t".join(header)]
    lines += ["\t".join(" ".join(str(v).replace("\t", " ").splitlines()) for v in row) for row in rows]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)


# ---------------------------------------------------------------- evaluation sets


@dataclass(frozen=True)
class STSSet:
    name: str
    sentences1: list[str]
    sentences2: list[str]
    scores: list[float]


@dataclass(frozen=True)
class RetrievalSet:
    name: str
    corpus: dict[str, tuple[str, str]]  # id -> (title, text)
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # query id -> {doc id: relevance}


def read_sts(path: str | Path) -> STSSet:
    s1, s2, scores = [], [], []
    for row in read_tsv(path):
        s1.append(row["sentence1"])
        s2.append(row["sentence2"])
        scores.append(float(row["score"]))
    return STSSet(Path(path).name.split(".")[0], s1, s2, scores)


def is_sts_file(path: Path) -> bool:
    if not (path.name.endswith(".tsv") or path.name.endswith(".tsv.gz")):
        return False
    header = next(iter([list(r.keys()) for r in _first_row(path)]), [])
    return header[:3] == ["score", "sentence1", "sentence2"]


def _first_row(path: Path) -> list[dict[str, str]]:
    for row in read_tsv(path):
        return [row]
    return []


def read_retrieval(folder: str | Path) -> list[RetrievalSet]:
    """One set per queries*.tsv in a BEIR-style folder, paired with the qrels file of the same suffix."""
    folder = Path(folder)
    corpus = {r["id"]: (r.get("title", ""), r.get("text", "")) for r in read_tsv(folder / "corpus.tsv")}
    sets = []
    for qpath in sorted(folder.glob("queries*.tsv")):
        suffix = qpath.name[len("queries") :]
        qrels_path = folder / f"qrels{suffix}"
        if not qrels_path.exists():
            continue
        qrels: dict[str, dict[str, int]] = {}
        for r in read_tsv(qrels_path):
            qrels.setdefault(r["query_id"], {})[r["doc_id"]] = int(float(r["score"]))
        queries = {r["id"]: r["text"] for r in read_tsv(qpath) if r["id"] in qrels}
        name = folder.name + (suffix[:-4] if suffix != ".tsv" else "")
        sets.append(RetrievalSet(name, corpus, queries, qrels))
    return sets


def find_eval_sets(data_dir: str | Path) -> tuple[list[Path], list[Path]]:
    """STS-format TSVs and BEIR-style folders anywhere under data_dir."""
    data_dir = Path(data_dir)
    sts = sorted(p for p in data_dir.rglob("*.tsv") if is_sts_file(p))
    beir = sorted(p.parent for p in data_dir.rglob("corpus.tsv") if any(p.parent.glob("qrels*.tsv")))
    return sts, beir


# ---------------------------------------------------------------- training text


@dataclass
class DataMix:
    """How many texts of each kind the distillation sees (0 = none, -1 = all)."""

    enwiki_sentences: int = 90_000
    wikinews_sentences: int = 40_000
    enwiki_paragraphs: int = 50_000
    wikinews_paragraphs: int = 20_000
    titles: int = -1
    leads: int = -1
    qa_questions: int = -1
    qa_answers: int = -1
    claims: int = -1
    evidence: int = -1
    mrpc: int = -1
    snli: int = 0
    # the SciFact corpus text (title + abstract; titles and abstract sentences): no queries, no judgments
    scifact_abstracts: int = 0
    scifact_sentences: int = 0
    # klein-v2's breadth (trainer/domains.py): up to N passages from each corpora/*.tsv.gz file, passages of man
    # pages, Python's help topics, docstrings and comments of installed Python source
    corpora_per_file: int = 0
    man_pages: int = 0
    man_root: str = "/usr/share/man"
    # packages whose man pages stay out (bench/real_folder.py searches those of its packages)
    man_exclude_packages: list[str] = field(default_factory=list)
    python_help: int = 0
    python_source: int = 0
    python_files_per_source: int = 25
    # English-Hindi pairs of multilingual/en_hi_train/: the Hindi side and the English side both learn the
    # teacher's vector of the English side (see training_pairs)
    en_hi_pairs: int = 0
    min_chars: int = 12
    seed: int = 13
    extra: dict[str, int] = field(default_factory=dict)


def _sample(items: list[str], n: int, rng: random.Random) -> list[str]:
    if n < 0 or n >= len(items):
        return items
    return rng.sample(items, n)


def _col(path: Path, column: str, keep=lambda r: True) -> list[str]:
    if not path.exists():
        return []
    return [r[column] for r in read_tsv(path) if keep(r)]


_SPACE_BEFORE = re.compile(r" ([.,!?;:%)\]])")
_SPACE_AFTER = re.compile(r"([(\[]) ")
_CLITIC = re.compile(r" (n't|'s|'re|'m|'ve|'ll|'d)\b")


def detokenize(text: str) -> str:
    """Undo PTB-style spacing ("a dog , running .") so tokenised pair sets read like the text users embed."""
    text = " ".join(text.split())
    return _CLITIC.sub(r"\1", _SPACE_AFTER.sub(r"\1", _SPACE_BEFORE.sub(r"\1", text)))


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")


def split_sentences(text: str, min_chars: int = 20) -> list[str]:
    """A plain splitter for scientific abstracts: cut after . ! ? when a capital or bracket follows."""
    return [s for s in _SENTENCE_END.split(text) if len(s) >= min_chars]


def corpus_text(title: str, text: str) -> str:
    # MTEB joins BEIR title and text with a space for models without a document template
    return f"{title} {text}".strip()


def document_texts(title: str, text: str) -> tuple[str, list[str]]:
    """A corpus document as training text: (the document as retrieval embeds it, its title and sentences).

    SciFact titles are often claims themselves, the short kind of text its queries are.
    """
    return corpus_text(title, text), [t for t in [title, *split_sentences(text)] if t]


def scifact_corpus_texts(folder: Path) -> tuple[list[str], list[str]]:
    """(every document as retrieval embeds it, every title and abstract sentence) of a BEIR corpus.tsv."""
    if not (folder / "corpus.tsv").exists():
        return [], []
    docs, sents = [], []
    for r in read_tsv(folder / "corpus.tsv"):
        doc, parts = document_texts(r.get("title", ""), r.get("text", ""))
        docs.append(doc)
        sents.extend(parts)
    return docs, sents


def training_texts(data_dir: str | Path, mix: DataMix) -> dict[str, list[str]]:
    """Training texts by source, deduplicated across sources, in a seed-determined order.

    Never touches sts/. From retrieval/ only the SciFact corpus text, and only when the mix asks for it (the data's
    manifest allows it; its queries and judgments stay for evaluation).
    """
    d = Path(data_dir)
    rng = random.Random(mix.seed)
    s = d / "sentences"
    p = d / "pairs"
    wn_clean = lambda r: r.get("suspect_dropped_link", "0") == "0"  # noqa: E731 - names are lost in the rest
    qa_files = [p / "wikiqa" / "wikiqa_train.tsv", p / "trecqa" / "trecqa_train.tsv"]
    cf = p / "climate_fever" / "claim_evidence.tsv"
    mrpc = p / "mrpc" / "mrpc_train.tsv"
    snli = [p / "snli_devtest" / f"snli_{split}_pairs.tsv" for split in ("dev", "test")]
    wants_scifact = mix.scifact_abstracts or mix.scifact_sentences
    sci_docs, sci_sents = scifact_corpus_texts(d / "retrieval" / "scifact") if wants_scifact else ([], [])
    sources: dict[str, tuple[list[str], int]] = {
        "enwiki_sentences": (_col(s / "enwiki_slice" / "sentences.tsv.gz", "sentence"), mix.enwiki_sentences),
        "wikinews_sentences": (
            _col(s / "wikinews_en" / "sentences.tsv.gz", "sentence", wn_clean),
            mix.wikinews_sentences,
        ),
        "enwiki_paragraphs": (_col(s / "enwiki_slice" / "paragraphs.tsv.gz", "text"), mix.enwiki_paragraphs),
        "wikinews_paragraphs": (_col(s / "wikinews_en" / "paragraphs.tsv.gz", "text"), mix.wikinews_paragraphs),
        "titles": (
            _col(s / "enwiki_slice" / "title_lead.tsv.gz", "title")
            + _col(s / "wikinews_en" / "title_lead.tsv.gz", "title"),
            mix.titles,
        ),
        "leads": (
            _col(s / "enwiki_slice" / "title_lead.tsv.gz", "lead_paragraph")
            + _col(s / "wikinews_en" / "title_lead.tsv.gz", "lead_paragraph"),
            mix.leads,
        ),
        "qa_questions": ([q for f in qa_files for q in _col(f, "question")], mix.qa_questions),
        "qa_answers": ([a for f in qa_files for a in _col(f, "answer_sentence")], mix.qa_answers),
        "claims": (_col(cf, "claim"), mix.claims),
        "evidence": (_col(cf, "evidence"), mix.evidence),
        "mrpc": (_col(mrpc, "sentence1") + _col(mrpc, "sentence2"), mix.mrpc),
        # caption-like scenes (SNLI's premises are Flickr30k captions), a genre the wiki and news text lacks
        "snli": (
            [detokenize(t) for f in snli for c in ("premise", "hypothesis") for t in _col(f, c)] if mix.snli else [],
            mix.snli,
        ),
        "scifact_abstracts": (sci_docs, mix.scifact_abstracts),
        "scifact_sentences": (sci_sents, mix.scifact_sentences),
    }
    sources.update(_domain_sources(d, mix))
    seen: set[str] = set()
    out: dict[str, list[str]] = {}
    for name, (items, n) in sources.items():
        uniq: dict[str, None] = {}
        for t in items:
            t = " ".join(t.split())
            # titles are short by nature; everything else below min_chars is debris
            if t and t not in seen and (name == "titles" or len(t) >= mix.min_chars):
                uniq[t] = None
        # only what is kept blocks later sources: leads repeat paragraph 0 of pages that may not be sampled
        out[name] = _sample(list(uniq), n, rng)
        seen.update(out[name])
    return out


def _domain_sources(d: Path, mix: DataMix) -> dict[str, tuple[list[str], int]]:
    """The v2 sources, read only when the mix asks for them, minus the diagnostic's held-out slice."""
    from trainer import domains

    keep = lambda items: [t for t in items if not domains.held_out(t)]  # noqa: E731
    out: dict[str, tuple[list[str], int]] = {}
    if mix.corpora_per_file:
        for stem, items in domains.corpora_passages(d / "corpora").items():
            out[f"corpora/{stem}"] = (keep(items), mix.corpora_per_file)
    if mix.man_pages:
        # a page gives ~8 passages: read about twice as many pages as the passages need
        pages = -1 if mix.man_pages < 0 else max(mix.man_pages // 4, 1)
        out["man_pages"] = (
            keep(
                domains.man_page_texts(
                    mix.man_root, pages, mix.seed, exclude=domains.package_files(mix.man_exclude_packages)
                )
            ),
            mix.man_pages,
        )
    if mix.python_help:
        out["python_help"] = (keep(domains.python_help_topics()), mix.python_help)
    if mix.python_source:
        by_source = domains.python_source_texts(domains.python_sources(), mix.python_files_per_source, mix.seed)
        out["python_source"] = (keep([t for items in by_source.values() for t in items]), mix.python_source)
    return out


EN_HI_TRAIN = "multilingual/en_hi_train"


def training_pairs(data_dir: str | Path, mix: DataMix) -> list[tuple[str, str]]:
    """(hindi, english) pairs from multilingual/en_hi_train/*.tsv, deduplicated, seed-sampled.

    Never en_hi_dev/: it is the bitext evaluation.
    """
    if not mix.en_hi_pairs:
        return []
    folder = Path(data_dir) / EN_HI_TRAIN
    pairs: dict[tuple[str, str], None] = {}
    for path in sorted(folder.glob("*.tsv")) if folder.exists() else []:
        for r in read_tsv(path):
            hi, en = " ".join(r.get("hi", "").split()), " ".join(r.get("en", "").split())
            if len(hi) >= mix.min_chars and len(en) >= mix.min_chars:
                pairs[(hi, en)] = None
    return _sample(list(pairs), mix.en_hi_pairs, random.Random(mix.seed + 1))


def tokenizer_corpus(data_dir: str | Path) -> Iterator[str]:
    """English sentences plus the Hindi side of the multilingual pairs, so Devanagari gets merges too."""
    d = Path(data_dir)
    for path, col in [
        (d / "sentences" / "enwiki_slice" / "sentences.tsv.gz", "sentence"),
        (d / "sentences" / "wikinews_en" / "sentences.tsv.gz", "sentence"),
        (d / "sentences" / "enwiki_slice" / "title_lead.tsv.gz", "title"),
        (d / "sentences" / "wikinews_en" / "title_lead.tsv.gz", "title"),
    ]:
        if path.exists():
            yield from (r[col] for r in read_tsv(path))
    for path in sorted((d / "multilingual").glob("*.tsv")) if (d / "multilingual").exists() else []:
        yield from (r["hi"] for r in read_tsv(path) if r.get("hi"))


def truncate_to_tokens(texts: list[str], tokenizer, max_tokens: int) -> list[str]:
    """Cut each text at a token boundary so that it holds at most max_tokens content tokens.

    Done once on the raw text so that teacher and student see exactly the same string.
    `tokenizer` is a tokenizers.Tokenizer; offsets map back into the original string.
    """
    out = []
    encs = tokenizer.encode_batch(texts, add_special_tokens=False)
    for t, enc in zip(texts, encs):
        if len(enc.ids) <= max_tokens:
            out.append(t)
        else:
            out.append(t[: enc.offsets[max_tokens - 1][1]].rstrip())
    return out


def texts_hash(texts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:16]


def file_hashes(data_dir: str | Path, rel_paths: Iterable[str]) -> dict[str, str]:
    """sha256 (first 16 hex) of each data file used, for the model card."""
    out = {}
    for rel in rel_paths:
        path = Path(data_dir) / rel
        if path.exists():
            h = hashlib.sha256()
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            out[rel] = h.hexdigest()[:16]
    return out
