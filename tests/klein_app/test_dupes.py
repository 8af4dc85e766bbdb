"""Duplicates on real indexes: files and passages that share most of their text, grouped without chaining.

Duplicates are decided by wording, not vectors, so the tiny model is enough here.
"""

import random
import textwrap

import pytest
from queries_corpora import THEMES, module_text, pair_set, planted_duplicates, prose, release_notes, vocabulary
from queries_fixtures import build_store

from klein_app.queries import DuplicateGroup, duplicates
from klein_app.queries.errors import BadParameterError
from klein_app.queries.shingles import shares, shingles

PASSAGE = (
    "To restore a backup, stop the service, copy the snapshot folder back into the data directory, check that "
    "the owner and permissions match the service account, and start the service again. Verify the restore by "
    "opening the admin page and comparing the record counts with the numbers in the backup log. If the counts "
    "differ, stop again, restore the previous snapshot instead, and write down which tables were missing rows "
    "so that the next backup job can be checked before anyone relies on it."
)


def predicted_pairs(groups):
    return pair_set([set(g.paths) for g in groups])


@pytest.fixture(scope="module")
def exact_store(tmp_path_factory, tiny_model):
    files = {
        "/d/report.txt": "Quarterly report. Sales grew in the north and fell in the south.",
        "/d/backup/report.txt": "Quarterly report. Sales grew in the north and fell in the south.",
        "/d/old/report (1).txt": "Quarterly report. Sales grew in the north and fell in the south.",
        "/d/notes.md": "Meeting notes: agree on the budget, hire two engineers.",
        "/d/notes-copy.md": "Meeting notes: agree on the budget, hire two engineers.",
        "/d/unique.md": "Something entirely different about sailing boats.",
        "/d/empty-a.txt": "",
        "/d/empty-b.txt": "",
        # the same passage inside two otherwise different files, and twice inside one file
        "/p/manual.md": "# Manual\n\nInstall the package with the installer.\n\n" + PASSAGE + "\n\nSee also the FAQ.",
        "/p/runbook.md": "# Runbook\n\nPage the on-call engineer first.\n\n" + PASSAGE + "\n\nClose the ticket.",
        "/p/repeat.md": PASSAGE + "\n\nIntermission about other things entirely, like the weather.\n\n" + PASSAGE,
    }
    return build_store(tmp_path_factory.mktemp("dupes"), tiny_model, files)


def test_exact_copies_are_grouped(exact_store):
    groups = duplicates(exact_store)
    by_paths = {frozenset(g.paths): g for g in groups}
    trio = frozenset({"/d/report.txt", "/d/backup/report.txt", "/d/old/report (1).txt"})
    assert trio in by_paths and by_paths[trio].kind == "identical"
    assert frozenset({"/d/notes.md", "/d/notes-copy.md"}) in by_paths
    assert not any("/d/unique.md" in g.paths for g in groups)
    g = by_paths[trio]
    assert g.items[0].relation == "representative" and {i.relation for i in g.items[1:]} == {"identical"}
    assert g.wasted_bytes == 2 * g.sizes[0] and g.description == "identical"


def test_empty_files_are_not_duplicates(exact_store):
    assert not any("/d/empty-a.txt" in g.paths for g in duplicates(exact_store))


def test_json_shape(exact_store):
    out = duplicates(exact_store)[0].to_json()
    assert set(out) == {"kind", "level", "description", "shared", "wasted_bytes", "items"}
    assert set(out["items"][0]) >= {"path", "size", "mtime", "relation", "share", "rep_share"}


def test_copied_passage_across_files(exact_store):
    groups = duplicates(exact_store, level="chunk")
    hit = [g for g in groups if {"/p/manual.md", "/p/runbook.md"} <= set(g.paths)]
    assert hit, [g.paths for g in groups]
    assert all(item.text and item.chunk_index is not None for item in hit[0].items)


def test_a_passage_repeated_within_one_file_is_not_a_group(exact_store):
    for g in duplicates(exact_store, level="chunk"):
        assert len(set(g.paths)) > 1


def test_whole_file_copies_are_not_repeated_at_chunk_level(exact_store):
    for g in duplicates(exact_store, level="chunk"):
        assert not {"/d/report.txt", "/d/backup/report.txt"} <= set(g.paths)


def test_bad_arguments(exact_store):
    for bad in (0.0, -0.5, 1.5):
        with pytest.raises(BadParameterError):
            duplicates(exact_store, threshold=bad)
    with pytest.raises(BadParameterError):
        duplicates(exact_store, level="folder")


def test_empty_index(tmp_path, tiny_model):
    assert duplicates(build_store(tmp_path / "db", tiny_model, {})) == []
    assert duplicates(build_store(tmp_path / "db2", tiny_model, {}), level="chunk") == []


def test_group_properties():
    g = DuplicateGroup(kind="near-identical", level="file")
    assert g.paths == [] and g.sizes == [] and g.mtimes == [] and g.representative is None


# --- planted copies and same-topic families ------------------------------------------------------------


def edited_copies(text: str, rng: random.Random) -> dict[str, str]:
    """The edits people make to copies: a few words and a sentence, layout, the tail cut, a section added."""
    paragraphs = text.split("\n\n")
    words = text.split(" ")
    for i in rng.sample(range(len(words)), k=6):
        words[i] = words[i].upper()
    cut = paragraphs[: max(1, int(len(paragraphs) * 0.75))]
    return {
        "edited": " ".join(words) + "\n\nThis copy was revised for the new release.",
        "reformatted": "\r\n\r\n".join(
            textwrap.fill(" ".join(p.split()), 50).replace("\n", "\r\n") for p in paragraphs
        ),
        "truncated": "\n\n".join(cut),
        "extended": text + "\n\nLocal notes\n\n" + "The team keeps its own remarks on this page. " * 8,
        "html": "<html><body>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</body></html>",
    }


@pytest.fixture(scope="module")
def planted(tmp_path_factory, tiny_model):
    rng = random.Random(3)
    vocab = vocabulary()
    files, families = {}, []
    for n in range(4):
        text = "\n\n".join(" ".join(prose(4, rng, vocab)) for _ in range(8))
        original = f"/docs/original-{n}.txt"
        files[original] = text
        family = {original}
        for kind, copy in edited_copies(text, rng).items():
            path = f"/docs/copies/{n}-{kind}.{'html' if kind == 'html' else 'txt'}"
            files[path] = copy
            family.add(path)
        families.append(family)
    files.update(release_notes(8))
    # Python's own module docs: same-topic pairs by theme, and copies of the first ones
    more, more_families = planted_duplicates(seed=0)
    files.update(more)
    return build_store(tmp_path_factory.mktemp("planted"), tiny_model, files), files, families + more_families


def test_planted_copies_are_found(planted):
    store, files, families = planted
    truth = pair_set(families)
    found = predicted_pairs(duplicates(store))
    # a group holds pairs of members that are each close to the representative; every planted pair is one
    recall = len(found & truth) / len(truth)
    assert recall >= 0.95, sorted(tuple(sorted(p)) for p in truth - found)


def test_release_notes_family_yields_no_group(planted):
    store, _, _ = planted
    for g in duplicates(store):
        assert sum("/RelNotes/" in p for p in g.paths) <= 1, g.paths


def test_same_topic_files_are_not_duplicates(planted):
    store, _, _ = planted
    for theme, modules in THEMES.items():
        bases = {f"/docs/{theme}/{m}.txt" for m in modules}
        for g in duplicates(store):
            assert len(bases & set(g.paths)) <= 1, (theme, g.paths)


def test_kinds_say_how_much_is_shared(planted):
    store, _, _ = planted
    groups = {frozenset(g.paths): g for g in duplicates(store)}
    family = next(g for paths, g in groups.items() if "/docs/original-0.txt" in paths)
    relations = {item.path.rsplit("/", 1)[-1]: item for item in family.items}
    assert relations["0-truncated.txt"].relation == "partial"
    truncated = relations["0-truncated.txt"]
    # all of the cut copy is in the rest of the family; a quarter of the original is missing from it
    if family.items[0].path == "/docs/original-0.txt":
        assert truncated.share > 0.95 and 0.6 < truncated.rep_share < 0.85
    assert relations["0-reformatted.txt"].relation in ("near-identical", "identical")
    assert family.kind == "partial" and "partial overlap" in family.description


def test_no_chained_groups(tmp_path, tiny_model):
    """A -> B -> C -> D -> E, each a sixth rewritten from the one before: neighbours are near-duplicates,
    A and E share nothing. Every member of a group must be a near-duplicate of its representative."""
    rng = random.Random(7)
    vocab = vocabulary()
    sentences = prose(36, rng, vocab)
    files, current = {}, list(sentences)
    for n, name in enumerate("ABCDE"):
        if n:
            start = (n - 1) * 6
            current[start : start + 6] = prose(6, rng, vocab)
        files[f"/chain/{name}.txt"] = " ".join(current)
    store = build_store(tmp_path / "db", tiny_model, files)
    groups = duplicates(store, threshold=0.8)
    assert groups
    for g in groups:
        rep = shingles(files[g.paths[0]])
        for path in g.paths[1:]:
            mine, theirs = shares(shingles(files[path]), rep)
            assert max(mine, theirs) >= 0.8 and min(mine, theirs) >= 0.5, (g.paths, path, mine, theirs)
        assert not {"/chain/A.txt", "/chain/E.txt"} <= set(g.paths)
        assert len(g.paths) <= 3


def test_threshold_one_is_identical_content_only(planted):
    store, _, _ = planted
    groups = duplicates(store, threshold=1.0)
    assert groups and {g.kind for g in groups} == {"identical"}
    sha = {
        f["path"]: f["sha256"]
        for f in store.files_table.search().select(["path", "sha256"]).limit(None).to_arrow().to_pylist()
    }
    for g in groups:
        assert len({sha[p] for p in g.paths}) == 1, g.paths


def test_higher_threshold_keeps_fewer_pairs(planted):
    store, _, _ = planted
    loose = predicted_pairs(duplicates(store, threshold=0.6))
    strict = predicted_pairs(duplicates(store, threshold=0.95))
    assert strict < loose


def test_near_duplicate_passage_across_files(tmp_path, tiny_model):
    long_passage = PASSAGE + "\n\n" + PASSAGE.replace("backup", "archive").replace("service", "daemon")
    edited = long_passage.replace("record counts", "row counts").replace("stop the", "halt the")
    files = {
        "/a/json.txt": module_text("json") + "\n\n" + long_passage,
        "/a/difflib.txt": module_text("difflib") + "\n\n" + edited,
        "/a/random.txt": module_text("random"),
    }
    store = build_store(tmp_path / "db", tiny_model, files)
    groups = duplicates(store, level="chunk", threshold=0.7)
    assert any({"/a/json.txt", "/a/difflib.txt"} <= set(g.paths) for g in groups)
    assert not any("/a/random.txt" in g.paths for g in groups)
