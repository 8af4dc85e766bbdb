"""Tiny random-weight model folders for tests and examples.

They exercise every code path of the runtime in milliseconds; they know nothing about meaning and
are never shipped as a model.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

_DEFAULT_CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Semantic search finds documents by meaning rather than by exact words.",
    "def main():\n    print('hello world')\n",
    "Klein models embed text into vectors with a small RoBERTa encoder.",
    "नमस्ते, आप कैसे हैं? यह एक परीक्षण वाक्य है।",
    "東京は日本の首都です。",
    "Paragraphs are separated by blank lines.\n\nLines end with a newline.",
]


def build_bpe_tokenizer(corpus: Iterable[str], vocab_size: int = 500):
    """A byte-level BPE with NFKC and RoBERTa special tokens at ids 0-4."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(corpus), trainer=trainer)
    return tok


def make_tiny_model(
    out_dir: str | Path,
    *,
    hidden: int = 32,
    layers: int = 2,
    vocab_size: int = 500,
    corpus: Iterable[str] | None = None,
    seed: int = 0,
    max_seq_length: int = 256,
    name: str = "tiny-random",
) -> Path:
    import torch
    from transformers import RobertaConfig, RobertaModel

    from klein_model.folder import save_model_folder

    tok = build_bpe_tokenizer(corpus if corpus is not None else _DEFAULT_CORPUS * 4, vocab_size=vocab_size)
    heads = max(1, hidden // 16)
    config = RobertaConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=hidden * 4,
        max_position_embeddings=max_seq_length + 2,
        type_vocab_size=1,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )
    torch.manual_seed(seed)
    model = RobertaModel(config, add_pooling_layer=False)
    dims = [d for d in (hidden // 4, hidden // 2) if d >= 4]
    return save_model_folder(
        out_dir,
        model,
        tok,
        name=name,
        version="0",
        max_seq_length=max_seq_length,
        matryoshka_dims=dims,
        extra={"note": "random weights, for tests only"},
    )
