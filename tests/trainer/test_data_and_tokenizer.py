from tokenizers import Tokenizer
from trainer_fixtures import make_sentences

from trainer.data import DataMix, read_tsv, training_texts, truncate_to_tokens, write_tsv
from trainer.tokenizer import SPECIAL_TOKENS, build_tokenizer


def test_tsv_keeps_leading_quotes(tmp_path):
    rows = [('"Quoted" start', "x"), ("plain", 'end "')]
    for name in ("a.tsv", "a.tsv.gz"):
        write_tsv(tmp_path / name, ["s", "t"], rows)
        assert [(r["s"], r["t"]) for r in read_tsv(tmp_path / name)] == rows


def test_training_texts_never_read_eval_sets(tiny_data):
    by_source = training_texts(tiny_data, DataMix(enwiki_sentences=50))
    texts = [t for v in by_source.values() for t in v]
    assert len(by_source["enwiki_sentences"]) == 50
    assert len(texts) == len(set(texts))
    dev = {r["sentence1"] for r in read_tsv(tiny_data / "sts/stsb_dev.tsv")}
    # the same sentences may exist in the training files; what matters is no source reads sts/ or retrieval/
    assert set(by_source) >= {"enwiki_sentences", "qa_questions"} and dev


def test_tokenizer_layout_and_any_character():
    tok = build_tokenizer(make_sentences(200) + ["नमस्ते, आप कैसे हैं?"], vocab_size=400)
    for i, s in enumerate(SPECIAL_TOKENS):
        assert tok.token_to_id(s) == i
    for text in ["emoji 🦊 and ﬁ ligature", "\x00\x07 control", "東京", "ｆｕｌｌ width", ""]:
        ids = tok.encode(text).ids
        assert ids[0] == 0 and ids[-1] == 2
        assert 3 not in ids  # byte-level: never <unk>
    # NFKC folds full-width letters
    assert tok.encode("ｆｕｌｌ").ids == tok.encode("full").ids
    assert Tokenizer.from_str(tok.to_str()).get_vocab_size() == tok.get_vocab_size()


def test_truncate_to_tokens_cuts_at_token_boundary():
    tok = build_tokenizer(make_sentences(200), vocab_size=400)
    text = " ".join(make_sentences(20))
    (cut,) = truncate_to_tokens([text], tok, 10)
    assert text.startswith(cut) and len(tok.encode(cut, add_special_tokens=False).ids) <= 10
    assert truncate_to_tokens(["short"], tok, 10) == ["short"]


def test_snli_sentences_are_detokenised_and_opt_in(tmp_path):
    from trainer.data import detokenize

    assert detokenize("A dog , ( brown ) , is n't running .") == "A dog, (brown), isn't running."
    assert detokenize("The man 's hat .") == "The man's hat."
    rows = [("Two women are embracing .", "Two woman are holding packages .", "entailment")]
    for split in ("dev", "test"):
        write_tsv(tmp_path / f"pairs/snli_devtest/snli_{split}_pairs.tsv", ["premise", "hypothesis", "label"], rows)
    assert training_texts(tmp_path, DataMix())["snli"] == []
    # the same sentences in dev and test are kept once
    assert sorted(training_texts(tmp_path, DataMix(snli=-1))["snli"]) == [
        "Two woman are holding packages.",
        "Two women are embracing.",
    ]


def test_scifact_corpus_text_is_opt_in_and_never_queries(tmp_path):
    folder = tmp_path / "retrieval" / "scifact"
    abstract = "Cells divide twice a day. The rate (per hour) fell by half! Why it did is not known."
    write_tsv(folder / "corpus.tsv", ["id", "title", "text"], [("7", "Cell division", abstract)])
    write_tsv(folder / "queries_train.tsv", ["id", "text", "split"], [("1", "Do cells divide?", "train")])
    assert training_texts(tmp_path, DataMix())["scifact_abstracts"] == []
    texts = training_texts(tmp_path, DataMix(scifact_abstracts=-1, scifact_sentences=-1))
    # the document as retrieval evaluation embeds it: title then abstract
    assert texts["scifact_abstracts"] == ["Cell division " + abstract]
    assert texts["scifact_sentences"] == [
        "Cell division",
        "Cells divide twice a day.",
        "The rate (per hour) fell by half!",
        "Why it did is not known.",
    ]
    assert not any("Do cells divide?" in t for ts in texts.values() for t in ts)
