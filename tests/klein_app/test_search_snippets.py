from klein_app.queries.snippets import ELLIPSIS, Snippet, find_term_spans, make_snippet, query_terms, stem


def marked(text, query, **kw):
    return make_snippet(text, query, **kw).marked()


def test_query_terms_drop_stopwords_and_repeats():
    assert query_terms("How do I bake the bread, bread?") == ["bake", "bread"]


def test_query_terms_of_punctuation_only_are_empty():
    assert query_terms("?!... --- ***") == []


def test_terms_are_marked_case_insensitively():
    assert marked("Bread is baked. BREAD again.", "bread") == "[Bread] is baked. [BREAD] again."


def test_light_stemming_matches_inflections():
    assert marked("She was baking; they baked.", "bakes") == "She was [baking]; they [baked]."
    assert stem("indexing") == stem("indexed") == "index"


def test_identifier_with_underscore_is_one_mark():
    assert marked("failed with ERR_4711 today", "ERR_4711") == "failed with [ERR_4711] today"


def test_part_of_an_identifier_matches():
    assert marked("failed with ERR_4711 today", "4711") == "failed with ERR_[4711] today"


def test_no_match_gives_the_start_unmarked():
    s = make_snippet("Nothing relevant here.", "zebra")
    assert s == Snippet("Nothing relevant here.", [])


def test_whitespace_is_collapsed():
    assert make_snippet("a\n\n  b\tc", "b").text == "a b c"


def test_long_text_window_centres_on_matches():
    text = ("filler words " * 60) + "the ERR_4711 code appears here " + ("more filler " * 60)
    s = make_snippet(text, "ERR_4711", width=120)
    assert s.text.startswith(ELLIPSIS) and s.text.endswith(ELLIPSIS)
    assert len(s.text) <= 122
    assert "[ERR_4711]" in s.marked()
    for start, end in s.highlights:
        assert s.text[start:end] == "ERR_4711"


def test_window_prefers_the_densest_cluster_of_matches():
    text = "alpha " + "x " * 300 + "beta gamma beta gamma " + "y " * 300
    s = make_snippet(text, "beta gamma alpha", width=80)
    assert s.marked().count("[") >= 4


def test_spans_are_inside_the_snippet_and_sorted():
    text = "word " * 100 + "target " * 10 + "word " * 100
    s = make_snippet(text, "target", width=60)
    assert s.highlights == sorted(s.highlights)
    for start, end in s.highlights:
        assert 0 <= start < end <= len(s.text)
        assert s.text[start:end] == "target"


def test_cut_lands_on_word_boundaries():
    text = "abcdefgh " * 100
    s = make_snippet(text, "zzz", width=50)
    body = s.text.rstrip(ELLIPSIS)
    assert body.split(" ")[-1] in ("abcdefgh", "")


def test_other_scripts_are_matched_by_substring():
    s = make_snippet("東京は日本の首都です。", "日本")
    assert s.marked() == "東京は[日本]の首都です。"
    s = make_snippet("यह एक परीक्षण वाक्य है", "परीक्षण")
    assert "[परीक्षण]" in s.marked()


def test_custom_markers():
    assert make_snippet("find cake", "cake").marked("<b>", "</b>") == "find <b>cake</b>"


def test_find_term_spans_merges_overlaps():
    assert find_term_spans("foo-bar baz", ["foo", "bar"]) == [(0, 7)]
    assert find_term_spans("anything", []) == []


def test_empty_text():
    assert make_snippet("", "x") == Snippet("", [])


def test_words_keep_their_combining_marks_in_every_script():
    # Devanagari, Tibetan and Javanese vowel signs are combining marks, which Python's \w leaves out.
    for word in ("परीक्षण", "བོད", "ꦗꦮ"):
        assert query_terms(f"the {word}") == [word]
        assert find_term_spans(f"x {word} y", [word]) == [(2, 2 + len(word))]
