"""Byte-level BPE with RoBERTa's special tokens, trained on the English sentences and the Hindi side of the
multilingual pairs.

Byte-level means every string maps to tokens (no <unk> ever), whatever the script; NFKC folds compatibility
forms (full-width letters, ligatures) before anything is counted.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

# RoBERTa order: RobertaModel derives position ids from pad id 1
SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def build_tokenizer(
    lines: Iterable[str], vocab_size: int = 32_000, min_frequency: int = 2, lowercase: bool = False
) -> Tokenizer:
    tok = Tokenizer(models.BPE())
    steps = [
        normalizers.NFKC(),
        # a run of spaces or a re-wrapped line means nothing to the teacher, so it should not change the tokens
        normalizers.Replace(Regex(r"\s+"), " "),
        normalizers.Strip(),
    ]
    if lowercase:
        # an uncased teacher never tells "The" from "the"; a cased vocabulary spends rows on both (measured in
        # the recipe: the static start scores 76.5 STSb dev lower-cased against 74.2 cased)
        steps.append(normalizers.Lowercase())
    tok.normalizer = normalizers.Sequence(steps)
    # a prefix space so that a word at the start of a text is the same token as in the middle
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(lines, trainer=trainer)
    # the same template the runtime's folder writer installs, so training and inference ids agree
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    for i, s in enumerate(SPECIAL_TOKENS):
        assert tok.token_to_id(s) == i, (s, tok.token_to_id(s))
    return tok


def train_or_load_tokenizer(
    cfg, data_dir: str | Path, path: Path, log: Callable[[str], None] = print, copy_from: Path | None = None
) -> Tokenizer:
    """The recipe's tokenizer, trained once and kept at path (or, for a continuation, the start model's)."""
    path = Path(path)
    if path.exists():
        return Tokenizer.from_file(str(path))
    if copy_from:
        tok = Tokenizer.from_file(str(Path(copy_from) / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        tok.save(str(path))
        log(f"tokenizer: {tok.get_vocab_size()} tokens from {copy_from}")
        return tok
    from trainer.data import tokenizer_corpus

    lines = itertools.islice(tokenizer_corpus(data_dir), cfg.max_lines)
    tok = build_tokenizer(lines, cfg.vocab_size, cfg.min_frequency, cfg.lowercase)
    tmp = path.with_suffix(".tmp")
    tok.save(str(tmp))
    tmp.replace(path)
    log(f"tokenizer: {tok.get_vocab_size()} tokens -> {path}")
    return tok
