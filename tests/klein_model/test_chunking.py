import pytest

SAMPLES = {
    "prose": ("Semantic search finds text by meaning. It embeds chunks of files.\n" * 30)
    + "\n\n"
    + ("A second paragraph with other words about vectors and indexes. " * 40),
    "code": "".join(f"def function_{i}(x):\n    return x + {i}\n\n" for i in range(80)),
    "no_spaces": "x" * 5000,
    "cjk": "東京は日本の首都です。" * 200,
    "devanagari": "यह एक लंबा हिंदी वाक्य है जो कई बार दोहराया गया है। " * 60,
    "whitespace_runs": ("word   \n\n\n\t  " * 300),
    "mixed": "emoji 😀 and ümlauts and ﬁ ligatures (NFKC) " * 100,
}


def non_ws_positions(text):
    return {i for i, ch in enumerate(text) if not ch.isspace()}


@pytest.mark.parametrize("max_tokens", [128, 256])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_spans_cover_text_and_fit(tiny, name, max_tokens):
    text = SAMPLES[name]
    chunks = tiny.chunk(text, max_tokens=max_tokens, overlap=16)
    assert chunks
    covered = set()
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert c.text == c.text.strip()
        assert c.n_tokens == tiny.count_tokens(c.text)
        assert c.n_tokens + 2 <= max_tokens
        covered.update(range(c.start, c.end))
    assert non_ws_positions(text) <= covered
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


def test_short_text_is_one_chunk(tiny):
    chunks = tiny.chunk("  just a few words  ", max_tokens=128)
    assert len(chunks) == 1 and chunks[0].text == "just a few words" and chunks[0].start == 2


def test_empty_and_whitespace_give_no_chunks(tiny):
    assert tiny.chunk("") == []
    assert tiny.chunk(" \n\t ") == []


def test_prefers_paragraph_boundaries(tiny):
    para = "A short paragraph of text."
    assert tiny.count_tokens(para) < 40  # several paragraphs fit in the back half of a window
    text = "\n\n".join([para.strip()] * 12)
    chunks = tiny.chunk(text, max_tokens=128, overlap=0)
    assert len(chunks) > 1
    # every chunk but the last ends where a paragraph ends
    for c in chunks[:-1]:
        assert text[c.end : c.end + 2] == "\n\n"


def test_overlap_repeats_some_text(tiny):
    text = " ".join(f"token{i}" for i in range(600))
    no_overlap = tiny.chunk(text, max_tokens=64, overlap=0)
    overlap = tiny.chunk(text, max_tokens=64, overlap=16)
    assert all(a.end <= b.start for a, b in zip(no_overlap, no_overlap[1:]))
    assert any(a.end > b.start for a, b in zip(overlap, overlap[1:]))


def test_lone_surrogates_keep_spans_valid(tiny):
    text = "before \ud800 after " * 50
    chunks = tiny.chunk(text, max_tokens=32, overlap=0)
    assert all(text[c.start : c.end] == c.text for c in chunks)


def test_bad_arguments(tiny):
    with pytest.raises(ValueError):
        tiny.chunk("text", max_tokens=4)
    with pytest.raises(ValueError):
        tiny.chunk("text", max_tokens=128, overlap=100)
