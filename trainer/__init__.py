"""Reproduces the bundled Klein model: tokenizer, teacher cache, distillation, evaluation, export."""
