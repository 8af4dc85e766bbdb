"""The v2 text readers: man pages, Python source, the corpora files, en-hi pairs and their provenance."""

import gzip

from trainer import domains
from trainer.data import DataMix, texts_hash, training_pairs, training_texts, write_tsv
from trainer.run import pair_texts

MAN_SOURCE = r""".\" a comment that must not appear
.TH GREP 1 2024 "GNU grep" "User Commands"
.SH NAME
grep \- print lines that match patterns
.SH DESCRIPTION
.B grep
searches for \fIPATTERNS\fP in each \fBFILE\fR.
A FILE of \(lq\-\(rq stands for standard input.
.PP
.nf
grep -r foo .
.fi
If no FILE is given, recursive searches examine the working directory,
and nonrecursive searches read standard input.
.TP
.BR \-i ", " \-\-ignore\-case
Ignore case distinctions in patterns and input data.
"""


def test_roff_becomes_plain_paragraphs():
    paras = domains.roff_paragraphs(MAN_SOURCE)
    assert "grep - print lines that match patterns" in paras
    assert 'grep searches for PATTERNS in each FILE. A FILE of "-" stands for standard input.' in paras
    text = " ".join(paras)
    assert "comment" not in text and "\\f" not in text and "\\-" not in text
    assert "grep -r foo" not in text  # literal (.nf) blocks are examples, not prose
    assert "DESCRIPTION" not in text  # headings are labels
    assert any(p.startswith("If no FILE is given") for p in paras)


def test_man_pages_read_gzipped_english_trees_and_cap_families(tmp_path):
    root = tmp_path / "man"
    (root / "man1").mkdir(parents=True)
    (root / "de" / "man1").mkdir(parents=True)
    (root / "man1" / "grep.1.gz").write_bytes(gzip.compress(MAN_SOURCE.encode()))
    (root / "man1" / "egrep.1.gz").write_bytes(gzip.compress(b".so man1/grep.1\n"))
    (root / "de" / "man1" / "grep.1").write_text(MAN_SOURCE.replace("Ignore case", "Gross und klein"))
    for i in range(12):
        page = MAN_SOURCE.replace("grep", f"cloud{i}").replace("Ignore case", f"Generated page number {i} of many")
        (root / "man1" / f"cloud_sub{i}.1").write_text(page)
    assert [p.name for p in domains.man_page_files(root) if "grep" in p.name] == ["egrep.1.gz", "grep.1.gz"]
    assert domains.read_man_page(root / "man1" / "egrep.1.gz") == []  # a .so link holds no text
    texts = domains.man_page_texts(root, -1, seed=1, per_family=3)
    assert any("Ignore case distinctions" in t for t in texts)
    assert not any("klein" in t for t in texts)  # the translated tree is not read
    assert sum("Generated page number" in t for t in texts) == 3  # at most 3 pages of one family


def test_man_pages_of_excluded_packages_are_never_read(tmp_path):
    root = tmp_path / "man"
    (root / "man1").mkdir(parents=True)
    kept, held = root / "man1" / "grep.1", root / "man1" / "tmux.1"
    kept.write_text(MAN_SOURCE)
    held.write_text(MAN_SOURCE.replace("grep", "tmux").replace("Ignore case", "Split the window"))
    info = tmp_path / "info"
    info.mkdir()
    (info / "tmux.list").write_text(f"/.\n{root}\n{held}\n")
    (info / "grep:amd64.list").write_text(f"{kept}\n")
    assert domains.package_files(["grep"], info) == {str(kept)}  # an arch-qualified listing counts
    texts = domains.man_page_texts(root, -1, seed=1, exclude=domains.package_files(["tmux"], info))
    assert any("Ignore case distinctions" in t for t in texts)
    assert not any("Split the window" in t for t in texts)
    assert domains.package_files(["not-installed", ""], info) == set()


def test_python_source_gives_docstrings_and_comment_blocks():
    src = '''"""A module that parses configuration files for the scheduler.

>>> parse("x")
"""
# pragma: no cover
def parse(text):
    """Split the configuration text into sections and return them as a dict."""
    # first we look for section headers, which start with a bracket,
    # then everything until the next header is that section's body
    return {}
x = 1  # noqa: F401
'''
    texts = domains.source_texts(src)
    assert "A module that parses configuration files for the scheduler." in texts
    assert "Split the configuration text into sections and return them as a dict." in texts
    assert (
        "first we look for section headers, which start with a bracket, then everything until the next header "
        "is that section's body"
    ) in texts
    assert not any(">>>" in t or "pragma" in t or "noqa" in t for t in texts)
    assert domains.source_texts("def broken(:\n") == []


def test_chunks_stay_under_the_limit_and_join_short_paragraphs():
    long = "This sentence is about twenty-eight chars. " * 40
    chunks = domains.chunk_paragraphs(["Short one that is long enough to keep.", "And a second short one here.", long])
    assert chunks[0] == "Short one that is long enough to keep. And a second short one here."
    assert all(len(c) <= domains.MAX_CHARS for c in chunks)
    assert "".join(chunks[1:]).replace(" ", "") == long.replace(" ", "")


def test_held_out_slice_is_fixed_and_kept_out_of_training(tmp_path):
    texts = [f"Passage number {i} about the library catalogue and its many indexes." for i in range(2000)]
    held = [t for t in texts if domains.held_out(t)]
    assert held == [t for t in texts if domains.held_out(t)]
    assert 20 <= len(held) <= 60  # about 1 in 50
    write_tsv(tmp_path / "corpora" / "docs.tsv.gz", ["id", "title", "text"], [(i, "", t) for i, t in enumerate(texts)])
    got = training_texts(tmp_path, DataMix(corpora_per_file=-1))["corpora/docs"]
    assert len(got) == len(texts) - len(held) and not set(held) & set(got)
    assert training_texts(tmp_path, DataMix())["enwiki_sentences"] == []
    assert "corpora/docs" not in training_texts(tmp_path, DataMix())


def test_provenance_hashes_the_texts_themselves():
    a = domains.provenance("man pages", "per package", ["one text", "two text"], pages=2)
    assert a == {
        "origin": "man pages",
        "licence": "per package",
        "texts": 2,
        "sha256": texts_hash(["one text", "two text"]),
        "pages": 2,
    }
    assert domains.provenance("x", "y", ["one text", "two texts"])["sha256"] != a["sha256"]
    assert len(a["sha256"]) == 16


def test_en_hi_pairs_come_from_train_only_and_target_the_english(tmp_path):
    write_tsv(
        tmp_path / "multilingual/en_hi_train/a.tsv",
        ["en", "hi"],
        [("The train leaves at nine.", "ट्रेन नौ बजे निकलती है।"), ("Where is the library?", "पुस्तकालय कहाँ है?")],
    )
    write_tsv(
        tmp_path / "multilingual/en_hi_dev/flores200_dev.tsv",
        ["en", "hi"],
        [("A dev sentence here.", "एक देव वाक्य यहाँ।")],
    )
    assert training_pairs(tmp_path, DataMix()) == []
    pairs = training_pairs(tmp_path, DataMix(en_hi_pairs=-1))
    assert sorted(p[1] for p in pairs) == ["The train leaves at nine.", "Where is the library?"]
    tt = pair_texts({"enwiki": ["Where is the library?", "A sentence of its own."]}, pairs)
    assert len(tt.teacher_texts) == len(set(tt.teacher_texts)) == 3  # the English of a pair is embedded once
    for text, src, row in zip(tt.texts, tt.sources, tt.target_index):
        target = tt.teacher_texts[row]
        if src == "en_hi_hi":
            assert target == dict((p[0], p[1]) for p in pairs)[text]  # Hindi learns its English's vector
        else:
            assert target == text
    assert tt.counts == {"enwiki": 2, "en_hi_hi": 2, "en_hi_en": 2}
