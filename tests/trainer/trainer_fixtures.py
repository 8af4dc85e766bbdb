"""Sentences from templates for the trainer tests."""

from __future__ import annotations

import random

SUBJECTS = ["The cat", "A young child", "The committee", "My neighbour", "A small dog", "The old man", "Two women"]
VERBS = ["is playing", "was reading", "has bought", "will visit", "is watching", "likes", "painted"]
OBJECTS = ["a red guitar", "the city library", "an apple pie", "the river bank", "a new car", "the morning news"]
TAILS = ["today.", "in the evening.", "with friends.", "after school.", "for the first time.", "again."]


def make_sentences(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = set()
    while len(out) < n:
        out.add(f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}")
    return sorted(out)
