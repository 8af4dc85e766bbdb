"""trainer.lite end to end on tiny data: a tiny student, a tiny teacher, a static folder that loads and embeds."""

import json

import numpy as np

import klein_model
from klein_model.static import StaticModel
from klein_model.testing import make_tiny_model
from trainer.lite import LiteConfig, build, main


def test_build_writes_a_static_model_that_loads_and_was_refined(tmp_path, tiny_data, tiny_teacher):
    student = make_tiny_model(tmp_path / "student", hidden=32, layers=1, vocab_size=400)
    cfg = LiteConfig(
        dim=16,
        static_dim=24,
        sentences=120,
        paragraphs=8,
        freq_texts=300,
        epochs=2,
        batch_size=32,
        teacher=str(tiny_teacher),
        teacher_workers=1,
    )
    extra = build(tiny_data, tmp_path / "lite", str(student), tmp_path / "work", cfg, log=lambda m: None)
    model = klein_model.load(tmp_path / "lite")
    assert isinstance(model, StaticModel) and model.dim == 16 and model.name == "klein-lite"
    assert model.tokenizer.get_vocab() == klein_model.load(student).tokenizer.get_vocab()  # the student's tokenizer
    out = model.encode(["a sentence about dogs", "another about the guitar"])
    assert out.shape == (2, 16) and np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-5)
    info = json.loads((tmp_path / "lite" / "klein.json").read_text())
    assert info["kind"] == "static" and info["extra"]["student"]["fingerprint"] == klein_model.load(student).fingerprint
    assert [h["epoch"] for h in extra["history"]] == [0, 1, 2]
    assert set(extra["evaluation"]) == {"stsb_dev"}  # the tiny data has no test split: only what exists is scored
    assert info["extra"]["texts"]["n"] > 0
    assert (tmp_path / "lite" / "README.md").is_file()
    # a re-run resumes from the cached stages (token vectors, frequencies, teacher shards)
    cached = sorted(p.name for p in (tmp_path / "work").iterdir())
    build(tiny_data, tmp_path / "lite2", str(student), tmp_path / "work", cfg, log=lambda m: None)
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == cached
    np.testing.assert_allclose(klein_model.load(tmp_path / "lite2").table, model.table)  # reproducible


def test_cli_entry(tmp_path, tiny_data, tiny_teacher, capsys):
    student = make_tiny_model(tmp_path / "student", hidden=32, layers=1, vocab_size=400)
    code = main(
        [
            "--data",
            str(tiny_data),
            "--out",
            str(tmp_path / "lite"),
            "--student",
            str(student),
            "--work",
            str(tmp_path / "work"),
            "--dim",
            "8",
            "--static-dim",
            "16",
            "--sentences",
            "60",
            "--paragraphs",
            "0",
            "--freq-texts",
            "100",
            "--epochs",
            "1",
            "--teacher",
            str(tiny_teacher),
            "--teacher-workers",
            "1",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["evaluation"]["stsb_dev"]["spearman"] is not None
    assert klein_model.load(tmp_path / "lite").dim == 8
