"""The TUI's pure helpers: formatting, diffing, opening, roll-ups, progress, directory completion."""

from __future__ import annotations

import os

from klein_app.humanize import human_bytes
from klein_app.queries.results import FileRecord, SearchResult, Snippet
from klein_app.tui.diffing import changed_spans, side_by_side, summarize
from klein_app.tui.formatting import (
    format_eta,
    highlight,
    short_path,
    status_line,
)
from klein_app.tui.opener import editor_command, open_command, system_open_command
from klein_app.tui.progress import apply_progress
from klein_app.tui.status import IndexStatus
from klein_app.tui.summaries import folder_rows, skipped_files
from klein_app.tui.widgets.path_input import complete_directory
from klein_app.tui.widgets.results import hit_prompt


def test_human_size_and_eta():
    assert human_bytes(512) == "512 B"
    assert human_bytes(2048) == "2.0 KB"
    assert human_bytes(5 * 1024**3) == "5.0 GB"
    assert format_eta(None) == "--:--"
    assert format_eta(65) == "1:05"
    assert format_eta(3725) == "1:02:05"
    assert format_eta(float("nan")) == "--:--"


def test_short_path_uses_tilde_and_keeps_the_file_name():
    assert short_path("/home/ann/notes/a.md", home="/home/ann") == "~/notes/a.md"
    assert short_path("/home/annex/a.md", home="/home/ann") == "/home/annex/a.md"
    cut = short_path("/very/long/directory/structure/with/many/parts/file.md", home="", width=24)
    assert len(cut) <= 24 and cut.endswith("file.md") and "…" in cut


def test_highlight_marks_the_query_terms_as_snippets_do():
    text = highlight("Fresh bread; BREAD and the breads", "the bread")
    styled = [text.plain[s.start : s.end] for s in text.spans]
    assert styled == ["bread", "BREAD", "breads"]  # stopword "the" not marked; stems match


def test_highlight_keeps_devanagari_words_whole():
    # \w+ splits "परीक्षण" at its combining vowel signs and marks fragments inside other words.
    text = highlight("यह परीक्षण है, परीक्षा नहीं", "परीक्षण")
    assert [text.plain[s.start : s.end] for s in text.spans] == ["परीक्षण"]


def test_status_line_busy_and_idle():
    busy = IndexStatus(phase="embed", files_done=3, files_total=10, chunks_per_s=120.4, eta_s=42, busy=True)
    assert status_line(busy) == "indexing: embed · 3/10 files · 120 chunks/s · ETA 0:42"
    idle = IndexStatus(phase="watching", n_files=1234, n_chunks=56789)
    assert status_line(idle) == "watching · 1,234 files · 56,789 chunks"
    assert status_line(IndexStatus(phase="error", message="locked")) == "error: locked"


def test_side_by_side_pairs_lines_and_marks_changes():
    left = ["a", "b", "c", "d"]
    right = ["a", "B", "c", "e", "f"]
    rows = side_by_side(left, right)
    assert [r.tag for r in rows] == ["equal", "replace", "equal", "replace", "replace"]
    assert rows[1].left == "b" and rows[1].right == "B"
    assert rows[4].left_no is None and rows[4].right == "f"
    s = summarize(rows)
    assert (s.same, s.changed) == (2, 3)
    assert summarize(side_by_side(["x"], ["x"])).ratio == 1.0
    only = side_by_side(["a"], ["a", "b"])
    assert only[-1].tag == "insert" and only[-1].right_no == 2


def test_changed_spans_point_at_the_difference():
    left, right = changed_spans("total = 10", "total = 12")
    assert left == [(9, 10)] and right == [(9, 10)]


def test_editor_and_system_commands():
    assert editor_command("vim", "/f.txt", 12) == ["vim", "+12", "/f.txt"]
    assert editor_command("code --wait", "/f.txt", 3) == ["code", "--wait", "--goto", "/f.txt:3"]
    assert editor_command("ed", "/f.txt", 3) == ["ed", "/f.txt"]
    assert system_open_command("/f", platform="darwin") == ["open", "/f"]
    cmd = open_command("/f.txt", 4, {"EDITOR": "nano"})
    assert cmd.terminal and cmd.argv == ["nano", "+4", "/f.txt"]
    assert open_command("/f.txt", 4, {"VISUAL": "vi", "EDITOR": "nano"}).argv[0] == "vi"


def test_folder_rows_count_indexed_and_skipped(tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "gone")
    os.mkdir(a)
    files = [
        FileRecord(f"{a}/x.md", a, status="indexed", n_chunks=3),
        FileRecord(f"{a}/y.md", a, status="indexed", n_chunks=2),
        FileRecord(f"{a}/z.bin", a, status="skipped", skip_reason="binary file"),
        FileRecord(f"{b}/w.md", b, status="indexed", n_chunks=1),
    ]
    rows = folder_rows([a, b], files, busy=False, watching=True)
    assert [(r.files, r.chunks, r.skipped, r.state) for r in rows] == [(2, 5, 1, "watching"), (1, 1, 0, "missing")]
    assert folder_rows([a], files, busy=True, watching=True)[0].state == "indexing"
    assert [f.path for f in skipped_files(files)] == [f"{a}/z.bin"]


def test_apply_progress_reads_event_fields():
    class Ev:
        phase, files_done, files_total, chunks_done, chunks_per_s, eta_s, current = "embed", 2, 5, 40, 80.0, 3.5, "/x"

    status = apply_progress(IndexStatus(n_files=7), Ev())
    assert status.busy and status.phase == "embed" and status.files_total == 5 and status.n_files == 7


def test_complete_directory(tmp_path):
    (tmp_path / "Documents").mkdir()
    (tmp_path / "Downloads").mkdir()
    (tmp_path / "Dfile.txt").write_text("x")
    (tmp_path / ".hidden").mkdir()
    base = str(tmp_path) + os.sep
    assert complete_directory(base + "Doc") == base + "Documents" + os.sep
    assert complete_directory(base + "Dow") == base + "Downloads" + os.sep
    # Two folders match: complete what they share, as a shell does, not the first one found.
    assert complete_directory(base + "D") == base + "Do"
    assert complete_directory(base + "Do") is None
    assert complete_directory(base + "Df") is None  # files are not offered
    assert complete_directory(base + ".h") == base + ".hidden" + os.sep
    assert complete_directory(base + "Documents") == base + "Documents" + os.sep
    assert complete_directory(base + "nothing") is None
    assert complete_directory("") is None


def test_hit_prompt_is_two_lines_with_the_match_marked():
    hit = SearchResult("/x/notes.md", 0.9, 3, 9, 0, "some bread here", Snippet("some bread here", [(5, 10)]))
    prompt = hit_prompt(hit, "bread", 60)
    lines = prompt.plain.split("\n")
    assert len(lines) == 2 and "notes.md:3-9" in lines[0] and "bread" in lines[1]
    assert any(prompt.plain[s.start : s.end] == "bread" for s in prompt.spans)


def test_display_path_is_relative_to_the_watched_folder():
    from klein_app.tui.formatting import display_path

    folders = ["/home/ann/notes", "/home/ann/notes/deep"]
    assert display_path("/home/ann/notes/cooking/bread.md", folders) == "notes/cooking/bread.md"
    assert display_path("/home/ann/notes/deep/x.md", folders) == "deep/x.md"
    assert display_path("/srv/other.md", folders) == short_path("/srv/other.md")
    assert display_path("/home/ann/notesy/a.md", ["/home/ann/notes"]).endswith("notesy/a.md")


LATIN1_TEXT = (
    "Le café de la gare sert une crème brûlée très appréciée. Où est la forêt ? À côté du château.\n"
    "Pâté de campagne, gâteau aux noix et thé glacé.\n"
) * 3


def _hit_at(path, start: int, end: int, text: str = "chunk") -> SearchResult:
    return SearchResult(str(path), 0.5, start, end, 0, text)


def test_preview_numbers_lines_as_the_index_does(tmp_path):
    from klein_app.sources.readers import read_document
    from klein_app.tui.widgets.preview import read_window

    # \f and \x1c end a line for str.splitlines() but not for the index.
    data = b"one\fstill one\ntwo\x1cstill two\nthree\nfour\n"
    path = tmp_path / "form.txt"
    path.write_bytes(data)
    doc = read_document(str(path), data)
    start = doc.unit_at(doc.text.index("three"))
    assert start == 3
    p = read_window(_hit_at(path, start, start))
    shown = p.text.split("\n")
    assert p.from_disk and shown[p.highlight_from - p.first_line] == "three"
    assert len(shown) == 5  # four lines and the empty one after the final newline


def test_preview_decodes_latin1_like_the_indexer(tmp_path):
    from klein_app.tui.widgets.preview import read_window

    path = tmp_path / "menu.txt"
    path.write_bytes(LATIN1_TEXT.encode("latin-1"))
    p = read_window(_hit_at(path, 2, 2))
    assert p.from_disk and "Pâté de campagne" in p.text and "\ufffd" not in p.text


def test_compare_reads_docx_as_its_text(tmp_path):
    import docx

    from klein_app.tui.screens.compare import read_lines

    for name, words in (("a.docx", "first draft"), ("b.docx", "second draft")):
        document = docx.Document()
        document.add_paragraph("Minutes of the meeting")
        document.add_paragraph(f"This is the {words}.")
        document.save(tmp_path / name)
    left, right = read_lines(str(tmp_path / "a.docx")), read_lines(str(tmp_path / "b.docx"))
    assert left == ["Minutes of the meeting", "", "This is the first draft."]
    assert right[-1] == "This is the second draft."


def test_compare_reads_latin1_text(tmp_path):
    from klein_app.tui.screens.compare import read_lines

    path = tmp_path / "a.txt"
    path.write_bytes(LATIN1_TEXT.replace("\n", "\r\n").encode("latin-1"))
    assert read_lines(str(path)) == LATIN1_TEXT.splitlines()
