"""The model folder: what a Klein model is on disk, its fingerprint, and where the bundled one lives.

A folder is at once a Hugging Face folder (config.json, model.safetensors, tokenizer.json,
tokenizer_config.json), a sentence-transformers folder (modules.json, 1_Pooling/, sentence_bert_config.json)
and a Klein folder (klein.json with the fingerprint and the training record).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from klein_model.errors import ModelLoadError

BUNDLED_NAME = "klein-v2"
# Short names `klein_model.load()` (and the app's `model` setting) accept for bundled model folders. klein-v1
# stays bundled: the klein-v2 recipe starts from it, and an index built with it keeps answering until the
# blue-green re-index for klein-v2 finishes.
BUNDLED_ALIASES = {"lite": "klein-lite", "v1": "klein-v1"}
KIND_TRANSFORMER = "transformer"
KIND_STATIC = "static"  # one vector per token, mean pooled: no encoder (klein_model/static.py)
KLEIN_JSON = "klein.json"
WEIGHTS = "model.safetensors"
TOKENIZER = "tokenizer.json"
CONFIG = "config.json"
REQUIRED_FILES = (CONFIG, WEIGHTS, TOKENIZER, KLEIN_JSON)
STATIC_TABLE = "embeddings"  # the one tensor in a static folder's model.safetensors, (vocab, dim)

# RoBERTa's special-token layout; RobertaModel derives position ids from pad_token_id, so the
# tokenizer and the config must agree on it.
SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "pad_token": "<pad>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "mask_token": "<mask>",
}
SPECIAL_IDS = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": 4}


@dataclass
class KleinInfo:
    """The contents of klein.json."""

    name: str
    version: str
    max_seq_length: int
    matryoshka_dims: list[int]
    fingerprint: str
    pooling: str = "mean"
    normalize: bool = True
    kind: str = KIND_TRANSFORMER
    extra: dict[str, Any] = field(default_factory=dict)


def bundled_model_path(name: str = BUNDLED_NAME) -> Path | None:
    """A bundled model folder (the default model unless named), or None when it is not bundled.

    Installed wheels carry them as klein_model/assets/; a source checkout has them at the top level.
    """
    here = Path(__file__).resolve().parent
    for base in (here / "assets", here.parent / "assets"):
        folder = base / BUNDLED_ALIASES.get(name, name)
        if (folder / KLEIN_JSON).is_file():
            return folder
    return None


def is_bundled_name(spec: str | Path) -> bool:
    """Whether `spec` names a bundled model ("lite", "klein-lite", BUNDLED_NAME) rather than a folder path."""
    name = str(spec)
    return name in BUNDLED_ALIASES or name in BUNDLED_ALIASES.values() or name == BUNDLED_NAME


def model_folder(spec: str | Path | None) -> Path | None:
    """The folder a model spec means: None -> the default bundled model, a bundled name -> that bundle
    (None when this install lacks it), anything else -> that path."""
    if spec is None:
        return bundled_model_path()
    if is_bundled_name(spec):
        return bundled_model_path(str(spec))
    return Path(spec).expanduser()


def compute_fingerprint(folder: Path) -> str:
    """sha256 over the weights and the tokenizer: the identity of what the model computes."""
    digest = hashlib.sha256()
    for name in (WEIGHTS, TOKENIZER):
        path = folder / name
        try:
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        except OSError as exc:
            raise ModelLoadError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def read_klein_info(folder: Path) -> KleinInfo:
    path = folder / KLEIN_JSON
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return KleinInfo(
            name=str(raw["name"]),
            version=str(raw["version"]),
            max_seq_length=int(raw["max_seq_length"]),
            matryoshka_dims=[int(d) for d in raw.get("matryoshka_dims", [])],
            fingerprint=str(raw["fingerprint"]),
            pooling=str(raw.get("pooling", "mean")),
            normalize=bool(raw.get("normalize", True)),
            kind=str(raw.get("kind", KIND_TRANSFORMER)),
            extra=dict(raw.get("extra", {})),
        )
    except OSError as exc:
        raise ModelLoadError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"corrupt {path}: {exc}") from exc


def check_folder(folder: Path, required: tuple[str, ...] = REQUIRED_FILES) -> None:
    """Raise ModelLoadError naming the first required file that is missing."""
    if not folder.is_dir():
        raise ModelLoadError(f"model folder not found: {folder}")
    for name in required:
        if not (folder / name).is_file():
            raise ModelLoadError(f"model folder {folder} is missing {name}")


def save_model_folder(
    out_dir: str | Path,
    model: Any,
    tokenizer: Any,
    *,
    name: str,
    version: str,
    max_seq_length: int,
    matryoshka_dims: list[int],
    extra: dict[str, Any] | None = None,
    dtype: Any = None,
) -> Path:
    """Write a complete Klein model folder from a transformers RobertaModel and a tokenizers.Tokenizer.

    `dtype` (e.g. torch.float16) stores the weights smaller; the runtime computes in float32/bfloat16.
    """
    from safetensors.torch import save_file
    from tokenizers.processors import TemplateProcessing

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config = model.config
    vocab = tokenizer.get_vocab()
    for token, expected in SPECIAL_IDS.items():
        if vocab.get(token) != expected:
            raise ValueError(f"tokenizer must map {token} to id {expected} (RoBERTa layout), got {vocab.get(token)}")
    if config.pad_token_id != SPECIAL_IDS["<pad>"]:
        raise ValueError("config.pad_token_id must be 1 (RoBERTa layout)")
    if config.max_position_embeddings < max_seq_length + 2:
        raise ValueError("max_position_embeddings must be at least max_seq_length + 2 (RoBERTa offsets positions)")

    # The post-processor adds <s> … </s>, so the runtime, AutoTokenizer and sentence-transformers all
    # see the same ids for the same text.
    tok = tokenizer.__class__.from_str(tokenizer.to_str())
    tok.no_truncation()
    tok.no_padding()
    tok.post_processor = TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tok.save(str(out / TOKENIZER))

    config.architectures = ["RobertaModel"]
    config.to_json_file(str(out / CONFIG))
    # Weights may be stored as float16 to keep the folder small; tell AutoModel to compute in float32,
    # which is what CPUs run fast (it would otherwise keep float16 from the checkpoint).
    raw_config = json.loads((out / CONFIG).read_text(encoding="utf-8"))
    raw_config["dtype"] = "float32"
    _write_json(out / CONFIG, raw_config)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    if dtype is not None:
        state = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in state.items()}
    # Tied or shared tensors are not expected in an encoder; clone defensively so safetensors accepts them.
    save_file({k: v.clone() for k, v in state.items()}, str(out / WEIGHTS), metadata={"format": "pt"})

    _write_json(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": max_seq_length,
            "clean_up_tokenization_spaces": False,
            **SPECIAL_TOKENS,
            "sep_token": "</s>",
            "cls_token": "<s>",
        },
    )
    _write_json(out / "special_tokens_map.json", {**SPECIAL_TOKENS, "sep_token": "</s>", "cls_token": "<s>"})
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": max_seq_length, "do_lower_case": False})
    _write_json(
        out / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": config.hidden_size,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
    )
    (out / "2_Normalize").mkdir(exist_ok=True)

    info = KleinInfo(
        name=name,
        version=version,
        max_seq_length=max_seq_length,
        matryoshka_dims=sorted({*matryoshka_dims, config.hidden_size}),
        fingerprint=compute_fingerprint(out),
        extra=dict(extra or {}),
    )
    _write_json(out / KLEIN_JSON, asdict(info))
    return out


def save_static_folder(
    out_dir: str | Path,
    table: Any,
    tokenizer: Any,
    *,
    name: str,
    version: str,
    max_seq_length: int,
    matryoshka_dims: list[int],
    extra: dict[str, Any] | None = None,
    dtype: str = "float16",
) -> Path:
    """Write a static model folder: one (vocab, dim) table in model.safetensors, the tokenizer, klein.json.

    The runtime reads it with klein_model.static.StaticModel; config.json follows Model2Vec's layout so that
    its loader can read the folder too.
    """
    import numpy as np
    from safetensors.numpy import save_file

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = np.asarray(table)
    if table.ndim != 2 or table.shape[0] != tokenizer.get_vocab_size():
        raise ValueError(f"table must be (vocab={tokenizer.get_vocab_size()}, dim), got {table.shape}")
    tok = tokenizer.__class__.from_str(tokenizer.to_str())
    tok.no_truncation()
    tok.no_padding()
    tok.save(str(out / TOKENIZER))
    save_file({STATIC_TABLE: np.ascontiguousarray(table.astype(dtype))}, str(out / WEIGHTS))
    dim = int(table.shape[1])
    _write_json(
        out / CONFIG,
        {
            "model_type": "model2vec",
            "architectures": ["StaticModel"],
            "hidden_dim": dim,
            "normalize": True,
            "seq_length": max_seq_length,
        },
    )
    info = KleinInfo(
        name=name,
        version=version,
        max_seq_length=max_seq_length,
        matryoshka_dims=sorted({*matryoshka_dims, dim}),
        fingerprint=compute_fingerprint(out),
        kind=KIND_STATIC,
        extra=dict(extra or {}),
    )
    _write_json(out / KLEIN_JSON, asdict(info))
    return out


def update_klein_extra(folder: str | Path, **fields: Any) -> None:
    """Merge fields into klein.json's free `extra` section (eval results, timings) without touching weights."""
    path = Path(folder) / KLEIN_JSON
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw.setdefault("extra", {}).update(fields)
    _write_json(path, raw)


def _write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
