"""Tiny data, a tiny random teacher and a tiny recipe, all made in tmp_path: no network, no shared data."""

from __future__ import annotations

from pathlib import Path

import pytest
from trainer_fixtures import make_sentences

from trainer.data import write_tsv


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("data")
    sents = make_sentences(240)
    write_tsv(
        d / "sentences/enwiki_slice/sentences.tsv.gz",
        ["page_id", "sentence"],
        [(i // 5, s) for i, s in enumerate(sents)],
    )
    paras = [" ".join(sents[i : i + 4]) for i in range(0, 120, 4)]
    write_tsv(
        d / "sentences/enwiki_slice/paragraphs.tsv.gz",
        ["page_id", "para_idx", "text"],
        [(i, 0, p) for i, p in enumerate(paras)],
    )
    write_tsv(
        d / "sentences/enwiki_slice/title_lead.tsv.gz",
        ["page_id", "title", "lead_paragraph"],
        [(i, s.split(" is ")[0], p) for i, (s, p) in enumerate(zip(sents, paras))],
    )
    write_tsv(
        d / "sentences/wikinews_en/sentences.tsv.gz",
        ["article_id", "sent_idx", "suspect_dropped_link", "sentence"],
        [(i, 0, i % 2, s) for i, s in enumerate(make_sentences(60, seed=1))],
    )
    write_tsv(
        d / "multilingual/tatoeba_en_hi.tsv",
        ["en", "hi", "attribution"],
        [("Help!", "बचाओ!", "x"), ("Hello.", "नमस्ते।", "x")],
    )
    write_tsv(
        d / "pairs/wikiqa/wikiqa_train.tsv",
        ["question", "answer_sentence", "label"],
        [("who is playing the guitar ?", sents[0], 1), ("what did the dog buy ?", sents[1], 0)],
    )
    # evaluation sets, which the trainer must never train on
    write_tsv(
        d / "sts/stsb_dev.tsv",
        ["score", "sentence1", "sentence2"],
        [(f"{(i % 6) * 1.0:.3f}", sents[i], sents[i + 1]) for i in range(0, 60, 2)],
    )
    write_tsv(
        d / "retrieval/tiny/corpus.tsv",
        ["id", "title", "text"],
        [(f"d{i}", f"Doc {i}", p) for i, p in enumerate(paras[:12])],
    )
    write_tsv(
        d / "retrieval/tiny/queries_train.tsv",
        ["id", "text", "split"],
        [(f"q{i}", sents[i * 4], "train") for i in range(6)],
    )
    write_tsv(
        d / "retrieval/tiny/qrels_train.tsv", ["query_id", "doc_id", "score"], [(f"q{i}", f"d{i}", 1) for i in range(6)]
    )
    return d


@pytest.fixture(scope="session")
def tiny_teacher(tmp_path_factory) -> Path:
    """A random-weight encoder folder: the trainer only needs something that maps text to vectors."""
    from klein_model.testing import make_tiny_model

    return make_tiny_model(
        tmp_path_factory.mktemp("teacher") / "teacher",
        hidden=48,
        layers=1,
        vocab_size=400,
        corpus=make_sentences(200, seed=3),
        name="tiny-teacher",
    )


@pytest.fixture()
def tiny_recipe(tmp_path, tiny_teacher) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(
        f"""
name = "klein-tiny"
version = "0.0.1"
[data]
enwiki_sentences = -1
wikinews_sentences = -1
enwiki_paragraphs = -1
wikinews_paragraphs = -1
[tokenizer]
vocab_size = 400
[teacher]
model = "{tiny_teacher.as_posix()}"
bf16 = false
batch_size = 32
shard_size = 128
workers = 1
[student]
hidden = 32
layers = 1
heads = 2
intermediate = 64
max_position_embeddings = 66
max_seq_length = 64
matryoshka_dims = [8, 16, 32]
[train]
max_train_tokens = 48
batch_size = 16
steps = 12
eval_every_steps = 6
log_every_steps = 3
bf16 = false
threads = 1
"""
    )
    return path
