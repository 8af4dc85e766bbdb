import json

import numpy as np

from trainer.run import main


def test_end_to_end_with_interruption_and_resume(tmp_path, tiny_data, tiny_recipe):
    import klein_model

    out, model_dir = tmp_path / "run", tmp_path / "model"
    args = [
        "--recipe",
        str(tiny_recipe),
        "--data",
        str(tiny_data),
        "--out",
        str(out),
        "--export",
        str(model_dir),
        "--no-progress",
    ]
    assert main(args + ["--max-steps", "6"]) == 1  # interrupted: nothing exported
    assert not model_dir.exists()
    first = json.loads((out / "train_history.json").read_text())
    assert first[-1]["step"] == 6

    assert main(args) == 0
    log = (out / "run.log").read_text()
    assert "resumed at step 6" in log
    history = json.loads((out / "train_history.json").read_text())
    assert [h["step"] for h in history] == [3, 6, 9, 12]  # continued, not restarted
    assert any(h.get("stsb_dev") is not None for h in history)

    m = klein_model.load(model_dir)
    emb = m.encode(["A small dog likes the river bank again.", "नमस्ते"])
    assert emb.shape == (2, 32)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
    info = json.loads((model_dir / "klein.json").read_text())
    assert info["extra"]["train"]["steps"] == 12
    assert "stsb_dev" in info["extra"]["eval"]["student"]
    assert "tiny_train" in info["extra"]["eval"]["student"]
    assert (model_dir / "README.md").read_text().startswith("# klein-tiny")


def test_evaluate_cli_on_a_model_folder(tmp_path, tiny_data, tiny_teacher):
    from trainer.evaluate import main as eval_main

    out = tmp_path / "eval.json"
    assert eval_main(["--model", str(tiny_teacher), "--data", str(tiny_data), "--json", str(out)]) == 0
    res = json.loads(out.read_text())["results"]
    assert -100 <= res["stsb_dev"]["spearman"] <= 100
    assert 0 <= res["tiny_train"]["ndcg@10"] <= 100


def test_training_can_overlap_the_teacher_pass(tmp_path, tiny_data, tiny_recipe):
    import klein_model

    recipe = tmp_path / "overlap.toml"
    recipe.write_text(tiny_recipe.read_text().replace("threads = 1\n", "threads = 1\noverlap_teacher = true\n"))
    out, model_dir = tmp_path / "run", tmp_path / "model"
    args = [
        "--recipe",
        str(recipe),
        "--data",
        str(tiny_data),
        "--out",
        str(out),
        "--export",
        str(model_dir),
        "--no-progress",
    ]
    assert main(args + ["--stages", "texts,tokenizer,teacher,student,export"]) == 0
    assert "while the student trains" in (out / "run.log").read_text()
    assert klein_model.load(model_dir).encode("a dog").shape == (32,)
