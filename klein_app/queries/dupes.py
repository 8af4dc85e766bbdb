"""Duplicates: files (or passages) that share most of their wording, grouped around a representative.

What counts is text, not meaning: two files are near-duplicates when, measured by word shingles
(shingles.py), at least `threshold` of one file's text is also in the other and at least PARTIAL_MIN of each
is shared. Release notes of successive versions, per-command pages or licences of different kinds are about
the same things in different words, so they share little text and form no group; an edited, reformatted,
truncated or extended copy, or the same text converted to Markdown, HTML, PDF or DOCX, shares most of it.

Each file's text is the text of its chunks in the index, so converted formats compare by their words. Files
with fewer than MIN_WORDS words are too short to judge by shared wording and are reported only when identical
(same bytes).

No chaining: every member of a group is itself a near-duplicate of the group's first item, its
representative (the file linked to most others, then the longest); A~B and B~C never put A and C together
unless C is close to the same representative. Each item says how much of it is in the representative and how
much of the representative is in it; the group's kind is "identical" (same bytes), "near-identical" (every
member shares at least `threshold` both ways) or "partial" (some member holds, or is held in, the other only
in part).

Passage level (`level="chunk"`): the same rules over passages (chunks) of different files, for text copied
between otherwise different files; a file's exact copies are skipped there, since the file level reports them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from klein_app.queries.errors import BadParameterError
from klein_app.queries.results import (
    DEFAULT_DUPLICATE_SHARE,
    DuplicateGroup,
    DuplicateItem,
    DuplicateKind,
    DuplicateRelation,
)
from klein_app.queries.shingles import candidate_pairs, shares, shingles, union, words
from klein_app.queries.vectors import read_chunks

DEFAULT_THRESHOLD = DEFAULT_DUPLICATE_SHARE
# Each file of a pair must share at least this much: a short note quoted whole inside a long manual is not a
# copy of the manual.
PARTIAL_MIN = 0.5
MIN_WORDS = 50
# Short chunks ("}", "---", a heading) are alike everywhere; passages need some substance.
MIN_PASSAGE_CHARS = 80


def duplicates(
    store, *, threshold: float = DEFAULT_THRESHOLD, level: Literal["file", "chunk"] = "file"
) -> list[DuplicateGroup]:
    """Duplicate groups, most wasted bytes first. `threshold` is the share of a file's text (0-1] that must
    also be in the other; 1.0 means identical files only."""
    if not 0.0 < threshold <= 1.0:
        raise BadParameterError("--threshold must be a share of text in (0, 1]")
    if level == "file":
        groups = file_duplicates(store, threshold)
    elif level == "chunk":
        groups = passage_duplicates(store, threshold)
    else:
        raise BadParameterError(f"unknown level {level!r} (file or chunk)")
    return sorted(groups, key=group_order)


def group_order(group: DuplicateGroup) -> tuple:
    """Most wasted bytes first, then the larger group, then by path: the order every view shows."""
    return (-group.wasted_bytes, -len(group.items), group.items[0].path if group.items else "")


# --- linking and grouping (shared by both levels) ----------------------------------------------------


@dataclass
class _Unit:
    """One content to compare: a file's distinct bytes, or a distinct passage."""

    members: list[dict]  # the rows (files or chunks) carrying this content, sorted by path
    shingles: set[int]
    n_words: int


def _relation(share_a: float, share_b: float, threshold: float) -> DuplicateRelation | None:
    if min(share_a, share_b) >= threshold:
        return "near-identical"
    if max(share_a, share_b) >= threshold and min(share_a, share_b) >= PARTIAL_MIN:
        return "partial"
    return None


def _links(
    units: list[_Unit], threshold: float, allowed=None
) -> dict[int, dict[int, tuple[float, float, DuplicateRelation]]]:
    """For each unit, its near-duplicate units: j -> (share of i in j, share of j in i, relation)."""
    eligible = [i for i, u in enumerate(units) if u.n_words >= MIN_WORDS]
    sets = [units[i].shingles for i in eligible]
    veto = None if allowed is None else (lambda a, b: allowed(eligible[a], eligible[b]))
    links: dict[int, dict[int, tuple[float, float, DuplicateRelation]]] = defaultdict(dict)
    if threshold >= 1.0:
        return links
    for a, b in candidate_pairs(sets, min(threshold, 1.0), veto):
        i, j = eligible[a], eligible[b]
        share_i, share_j = shares(units[i].shingles, units[j].shingles)
        relation = _relation(share_i, share_j, threshold)
        if relation:
            links[i][j] = (share_i, share_j, relation)
            links[j][i] = (share_j, share_i, relation)
    return links


def _groups(units: list[_Unit], links, level: str, make_item) -> list[DuplicateGroup]:
    """Stars around representatives: the unit with most links (then most words) takes its unassigned
    neighbours; repeated until no links are left. Units with several identical members are groups alone."""
    order = sorted(
        range(len(units)), key=lambda i: (-len(links.get(i, {})), -units[i].n_words, units[i].members[0]["path"])
    )
    assigned: set[int] = set()
    groups = []
    for rep in order:
        if rep in assigned:
            continue
        partners = sorted(
            (j for j in links.get(rep, {}) if j not in assigned),
            key=lambda j: (-min(links[rep][j][:2]), units[j].members[0]["path"]),
        )
        if not partners and len(units[rep].members) < 2:
            continue
        assigned.add(rep)
        assigned.update(partners)
        rep_rows = units[rep].members
        items = [make_item(rep_rows[0], "representative", 1.0, 1.0)]
        items += [make_item(row, "identical", 1.0, 1.0) for row in rep_rows[1:]]
        for j in partners:
            rep_in_j, j_in_rep, relation = links[rep][j]
            items += [make_item(row, relation, j_in_rep, rep_in_j) for row in units[j].members]
        groups.append(_group(level, items))
    return groups


def _group(level: str, items: list[DuplicateItem]) -> DuplicateGroup:
    relations = {item.relation for item in items[1:]}
    kind: DuplicateKind = (
        "partial" if "partial" in relations else "near-identical" if "near-identical" in relations else "identical"
    )
    return DuplicateGroup(
        kind=kind, level=level, items=items, shared=min((min(i.share, i.rep_share) for i in items[1:]), default=1.0)
    )


# --- file level --------------------------------------------------------------------------------------


def file_duplicates(store, threshold: float) -> list[DuplicateGroup]:
    files = (
        store.files_table.search()
        .where("status = 'indexed'")
        .select(["path", "size", "mtime", "sha256"])
        .limit(None)
        .to_arrow()
        .to_pylist()
    )
    by_sha: dict[str, list[dict]] = defaultdict(list)
    for f in sorted(files, key=lambda f: f["path"]):
        if f["sha256"] and (f["size"] or 0) > 0:
            by_sha[f["sha256"]].append(f)
    if threshold >= 1.0:
        texts: dict[str, list[str]] = {}
    else:
        texts = _chunk_texts(store)
    units = []
    for members in sorted(by_sha.values(), key=lambda m: m[0]["path"]):
        chunk_texts = texts.get(members[0]["path"], [])
        chunk_words = [words(t) for t in chunk_texts]
        units.append(_Unit(members, union(shingles(w) for w in chunk_words), _distinct_words(chunk_words)))
    return _groups(units, _links(units, threshold), "file", _file_item)


def _chunk_texts(store) -> dict[str, list[str]]:
    table = read_chunks(store, ["path", "chunk_index", "text"])
    rows = sorted(
        zip(table.column("path").to_pylist(), table.column("chunk_index").to_pylist(), table.column("text").to_pylist())
    )
    out: dict[str, list[str]] = defaultdict(list)
    for path, _index, text in rows:
        out[path].append(text)
    return out


def _distinct_words(chunk_words: list[list[str]]) -> int:
    """Words of a file without the overlap chunks repeat (an upper bound is fine: it only gates short files)."""
    return sum(len(w) for w in chunk_words)


def _file_item(row: dict, relation: DuplicateRelation, share: float, rep_share: float) -> DuplicateItem:
    return DuplicateItem(
        path=row["path"],
        size=int(row["size"] or 0),
        mtime=float(row["mtime"] or 0.0),
        relation=relation,
        share=share,
        rep_share=rep_share,
    )


# --- passage level -----------------------------------------------------------------------------------


def passage_duplicates(store, threshold: float) -> list[DuplicateGroup]:
    table = read_chunks(store, ["path", "chunk_index", "start_line", "end_line", "text", "chunk_hash", "file_sha256"])
    meta = {
        f["path"]: f for f in store.files_table.search().select(["path", "mtime"]).limit(None).to_arrow().to_pylist()
    }
    rows = sorted(table.to_pylist(), key=lambda r: (r["path"], r["chunk_index"]))
    # Exact copies of whole files would match passage by passage: keep one file per content.
    first_path_of_sha: dict[str, str] = {}
    for r in rows:
        first_path_of_sha.setdefault(r["file_sha256"], r["path"])
    by_hash: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if first_path_of_sha[r["file_sha256"]] == r["path"] and len("".join(r["text"].split())) >= MIN_PASSAGE_CHARS:
            by_hash[r["chunk_hash"]].append(r)
    units = []
    for members in sorted(by_hash.values(), key=lambda m: (m[0]["path"], m[0]["chunk_index"])):
        ws = words(members[0]["text"])
        # a passage repeated within one file is not a copy between files
        seen, distinct = set(), []
        for m in members:
            if m["path"] not in seen:
                seen.add(m["path"])
                distinct.append(m)
        units.append(_Unit(distinct, shingles(ws), max(len(ws), MIN_WORDS)))
    unit_paths = [{m["path"] for m in u.members} for u in units]

    def other_files(i: int, j: int) -> bool:
        return not (unit_paths[i] & unit_paths[j])

    def make_item(row, relation, share, rep_share):
        return _passage_item(row, meta, relation, share, rep_share)

    groups = _groups(units, _links(units, threshold, other_files), "chunk", make_item)
    # two passages of one file are never a group by themselves
    return [g for g in groups if len(set(g.paths)) > 1]


def _passage_item(row: dict, meta: dict, relation: DuplicateRelation, share: float, rep_share: float) -> DuplicateItem:
    return DuplicateItem(
        path=row["path"],
        size=len(row["text"].encode("utf-8")),
        mtime=float((meta.get(row["path"]) or {}).get("mtime") or 0.0),
        relation=relation,
        share=share,
        rep_share=rep_share,
        chunk_index=int(row["chunk_index"]),
        start_line=int(row["start_line"]),
        end_line=int(row["end_line"]),
        text=row["text"],
    )
