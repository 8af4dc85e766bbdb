"""A continuation recipe (klein-v2's shape): start from a trained model folder, learn en-hi pairs."""

import json
import shutil

import numpy as np
import pytest

from trainer.data import write_tsv
from trainer.run import main

PAIRS = [
    ("The cat is playing a red guitar today.", "बिल्ली आज लाल गिटार बजा रही है।"),
    ("A small dog likes the river bank again.", "एक छोटा कुत्ता फिर से नदी का किनारा पसंद करता है।"),
    ("The old man was reading the morning news.", "बूढ़ा आदमी सुबह की खबर पढ़ रहा था।"),
    ("Two women will visit the city library.", "दो महिलाएँ शहर के पुस्तकालय जाएँगी।"),
]


def test_continuation_starts_from_a_model_and_pairs_hindi_with_english(tmp_path, tiny_data, tiny_recipe):
    import klein_model

    data = tmp_path / "data"
    shutil.copytree(tiny_data, data)
    write_tsv(data / "multilingual/en_hi_train/pairs.tsv", ["en", "hi"], PAIRS * 8)
    base = ["--data", str(data), "--no-progress"]
    start = tmp_path / "start"
    assert main(["--recipe", str(tiny_recipe), "--out", str(tmp_path / "run1"), "--export", str(start)] + base) == 0

    recipe = tmp_path / "cont.toml"
    recipe.write_text(
        tiny_recipe.read_text()
        .replace('name = "klein-tiny"', 'name = "klein-tiny2"')
        .replace("[data]\n", "[data]\nen_hi_pairs = -1\n")
        .replace("[student]\n", f'[student]\ninit = "model"\ninit_from = "{start.as_posix()}"\n')
        .replace("[train]\n", "[train]\ninterpolate = [0.5]\n")
    )
    out, model_dir = tmp_path / "run2", tmp_path / "model"
    args = ["--recipe", str(recipe), "--out", str(out), "--export", str(model_dir)] + base
    assert main(args + ["--stages", "texts,tokenizer,teacher,student,export"]) == 0
    log = (out / "run.log").read_text()
    assert f"weights from {start}" in log and "projection fitted" in log
    vocab = lambda folder: json.loads((folder / "tokenizer.json").read_text())["model"]["vocab"]  # noqa: E731
    assert vocab(out) == vocab(start)  # the start model's tokenizer, not a new one

    blob = json.loads((out / "texts.json").read_text())
    hindi_rows = [
        (t, blob["teacher_texts"][r])
        for t, s, r in zip(blob["texts"], blob["sources"], blob["target_index"])
        if s == "en_hi_hi"
    ]
    assert len(hindi_rows) == len(PAIRS)
    for text, target in hindi_rows:
        # texts are cut to max_train_tokens teacher tokens, and the tiny teacher spends many on Devanagari
        assert [en for en, hi in PAIRS if hi.startswith(text)] == [target]
    assert not any("\u0900" <= c <= "\u097f" for t in blob["teacher_texts"] for c in t)  # the teacher reads English

    # mixed with the start model on the recipe's grid (start, 0.5, continued), the share recorded
    mix = json.loads((model_dir / "klein.json").read_text())["extra"]["interpolation"]
    assert [d["alpha"] for d in mix["dev"]] == [0.0, 0.5, 1.0] and mix["alpha"] in (0.0, 0.5, 1.0)
    assert "interpolate: alpha" in (out / "run.log").read_text()

    m = klein_model.load(model_dir)
    emb = m.encode([PAIRS[0][1], PAIRS[0][0]])
    assert emb.shape == (2, 32)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
    # trained on: the weights moved away from the start model's
    assert not np.allclose(emb, klein_model.load(start).encode([PAIRS[0][1], PAIRS[0][0]]), atol=1e-4)


def test_continuation_without_its_start_model_says_how_to_build_it(tmp_path, tiny_data, tiny_recipe):
    recipe = tmp_path / "cont.toml"
    recipe.write_text(
        tiny_recipe.read_text().replace("[student]\n", '[student]\ninit = "model"\ninit_from = "klein-v0"\n')
    )
    with pytest.raises(SystemExit, match="klein-search train --recipe klein-v0"):
        main(["--recipe", str(recipe), "--data", str(tiny_data), "--out", str(tmp_path / "run"), "--no-progress"])
