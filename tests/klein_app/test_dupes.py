"""Duplicates on real indexes: exact copies with any model; planted near-duplicates with the trained model."""

import pytest
from queries_corpora import THEMES, module_text, pair_set, planted_duplicates
from queries_fixtures import build_store, semantic_model  # noqa: F401  (fixture)

from klein_app.queries import DuplicateGroup, duplicates
from klein_app.queries.errors import BadParameterError

PASSAGE = (
    "To restore a backup, stop the service, copy the snapshot folder back into the data directory, check that "
    "the owner and permissions match the service account, and start the service again. Verify the restore by "
    "opening the admin page and comparing the record counts with the numbers in the backup log. If the counts "
    "differ, stop again, restore the previous snapshot instead, and write down which tables were missing rows "
    "so that the next backup job can be checked before anyone relies on it."
)


# Long enough (two chunks' worth) that some chunk holds nothing but the pasted text wherever it is pasted.
LONG_PASSAGE = PASSAGE + (
    "\n\nBackups run every night at two o'clock and keep fourteen daily snapshots, eight weekly ones and twelve "
    "monthly ones. Each snapshot is compressed, encrypted with the team's key and copied to the second data "
    "centre. The backup log records the start and end time, the size of every table and any warning raised "
    "while the snapshot was written. Once a quarter someone restores the latest snapshot on a spare machine "
    "to prove that the whole procedure still works, and files the result in the operations wiki."
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
    # a threshold of 1.0 leaves only identical vectors, i.e. identical content
    groups = duplicates(exact_store, threshold=1.0)
    assert [g.paths for g in groups] == [
        ["/d/backup/report.txt", "/d/old/report (1).txt", "/d/report.txt"],
        ["/d/notes-copy.md", "/d/notes.md"],
    ]
    assert all(g.kind == "exact" and g.level == "file" and g.similarity == 1.0 for g in groups)
    size = len(b"Quarterly report. Sales grew in the north and fell in the south.")
    assert groups[0].wasted_bytes == 2 * size  # sorted by wasted bytes
    assert groups[0].sizes == [size] * 3 and len(groups[0].mtimes) == 3


def test_empty_files_are_not_duplicates(exact_store):
    assert not any("empty" in p for g in duplicates(exact_store, threshold=1.0) for p in g.paths)


def test_json_shape(exact_store):
    data = duplicates(exact_store, threshold=1.0)[0].to_json()
    assert set(data) == {"kind", "level", "similarity", "wasted_bytes", "items"}
    assert set(data["items"][0]) == {"path", "size", "mtime"}


def test_copied_passage_across_files(exact_store):
    # Chunk windows overlap, so a pasted passage yields identical chunks in its middle, not at its edges.
    groups = duplicates(exact_store, threshold=0.9999, level="chunk")
    across = [g for g in groups if {"/p/manual.md", "/p/runbook.md"} <= set(g.paths)]
    assert across and any(g.kind == "exact" for g in across)
    for g in across:
        assert g.level == "chunk" and g.wasted_bytes > 0
        assert all(i.chunk_index is not None and 1 <= i.start_line <= i.end_line for i in g.items)
        assert all(" ".join(i.text.split()) in " ".join(PASSAGE.split()) or "\n" in i.text for i in g.items)
    assert set(across[0].to_json()["items"][0]) >= {"chunk_index", "start_line", "end_line", "text"}


def test_a_passage_repeated_within_one_file_is_not_a_group(exact_store):
    for g in duplicates(exact_store, threshold=0.9999, level="chunk"):
        assert len(set(g.paths)) >= 2


def test_whole_file_copies_are_not_repeated_at_chunk_level(exact_store):
    groups = duplicates(exact_store, threshold=0.999, level="chunk")
    assert not any(p.startswith("/d/") for g in groups for p in g.paths)


def test_bad_arguments(exact_store):
    with pytest.raises(BadParameterError):
        duplicates(exact_store, threshold=0)
    with pytest.raises(BadParameterError):
        duplicates(exact_store, level="folder")


def test_empty_index(tmp_path, tiny_model):
    assert duplicates(build_store(tmp_path / "db", tiny_model, {})) == []
    assert duplicates(build_store(tmp_path / "db2", tiny_model, {}), level="chunk") == []


def test_group_properties():
    g = DuplicateGroup(kind="near", level="file")
    assert g.paths == [] and g.sizes == [] and g.mtimes == []


# --- with the trained model ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted(tmp_path_factory, semantic_model):
    files, families = planted_duplicates(seed=0)
    return build_store(tmp_path_factory.mktemp("planted"), semantic_model, files), files, families


def test_planted_duplicates_recall_and_precision(planted):
    store, files, families = planted
    truth = pair_set(families)
    found = predicted_pairs(duplicates(store))  # default threshold
    recall = len(found & truth) / len(truth)
    precision = len(found & truth) / max(1, len(found))
    assert recall >= 0.95, sorted(tuple(sorted(p)) for p in truth - found)
    assert precision >= 0.95, sorted(tuple(sorted(p)) for p in found - truth)


def test_same_topic_files_are_not_duplicates(planted):
    store, _, _ = planted
    groups = duplicates(store)
    for theme, modules in THEMES.items():
        bases = {f"/docs/{theme}/{m}.txt" for m in modules}
        for g in groups:
            assert len(bases & set(g.paths)) <= 1, (theme, g.paths)


def test_threshold_one_is_identical_content_only(planted):
    store, _, _ = planted
    groups = duplicates(store, threshold=1.0)
    assert groups and {g.kind for g in groups} == {"exact"}
    sha = {f["path"]: f["sha256"] for f in store.files_table.search().select(["path", "sha256"]).limit(None).to_arrow().to_pylist()}
    for g in groups:
        assert len({sha[p] for p in g.paths}) == 1, g.paths
    # every exact group of the default query is there too, and nothing else
    default_exact = {frozenset(g.paths) for g in duplicates(store) if g.kind == "exact"}
    assert default_exact <= {frozenset(g.paths) for g in groups}


def test_exact_and_near_kinds(planted):
    store, _, families = planted
    groups = duplicates(store)
    kinds = {frozenset(g.paths): g.kind for g in groups}
    assert "near" in kinds.values()
    for g in groups:
        if g.kind == "near":
            assert 0.5 < g.similarity <= 1.0 and g.wasted_bytes >= 0


def test_near_duplicate_passage_across_files(tmp_path, semantic_model):
    edited = LONG_PASSAGE.replace("record counts", "row counts").replace("stop the service", "stop the server")
    files = {
        "/a/json.txt": module_text("json") + "\n\n" + LONG_PASSAGE,
        "/a/difflib.txt": module_text("difflib") + "\n\n" + edited,
        "/a/random.txt": module_text("random"),
    }
    store = build_store(tmp_path / "db", semantic_model, files)
    groups = duplicates(store, level="chunk")
    assert any({"/a/json.txt", "/a/difflib.txt"} <= set(g.paths) for g in groups)
    assert not any("/a/random.txt" in g.paths for g in groups)
