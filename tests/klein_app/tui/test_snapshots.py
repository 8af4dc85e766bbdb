"""Snapshots of the main screens at 80x24 with fixed data (no clock, no timings, no temp paths).

Regenerate after an intended change with `pytest tests/klein_app/tui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from klein_app.queries.results import DuplicateGroup, DuplicateItem

from .fakes import FakeBackend
from .helpers import make_app, settle, type_text

SIZE = (80, 24)


def test_search_screen_with_results(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await type_text(pilot, "bread")
        await settle(pilot)

    assert snap_compare(make_app(FakeBackend()), terminal_size=SIZE, run_before=run_before)


def test_search_screen_empty_index(snap_compare):
    async def run_before(pilot):
        await settle(pilot)

    app = make_app(FakeBackend(folders=(), files=[], hits=[], groups=[], clusters=[]))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_folders_screen(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)

    assert snap_compare(make_app(FakeBackend()), terminal_size=SIZE, run_before=run_before)


def test_duplicates_screen(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("down", "space")

    assert snap_compare(make_app(FakeBackend()), terminal_size=SIZE, run_before=run_before)


def test_clusters_screen(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)

    assert snap_compare(make_app(FakeBackend()), terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(make_app(FakeBackend()), terminal_size=SIZE, run_before=run_before)


def test_compare_screen(snap_compare, tmp_path):
    # Paths show relative to the watched folder, whose name pytest derives from the test: stable.
    (tmp_path / "a.txt").write_text("one\ntwo\nthree\nfour\n")
    (tmp_path / "b.txt").write_text("one\nTWO\nthree\nfive\nsix\n")
    group = DuplicateGroup(
        "near-identical",
        "file",
        [
            DuplicateItem(str(tmp_path / "a.txt"), 19, 0.0),
            DuplicateItem(str(tmp_path / "b.txt"), 23, 0.0, relation="near-identical", share=0.95, rep_share=0.96),
        ],
        0.95,
    )

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)

    app = make_app(FakeBackend(folders=(str(tmp_path),), groups=[group]))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
