"""Subcommands of `klein-search`, one module per area.

Each module exposes `register(subparsers)` which adds its subcommands; a subcommand's parser sets
`func=handler`, where `handler(args) -> int` returns the exit code. Heavy imports (torch, lancedb)
happen inside handlers so `klein-search --help` and the TUI start fast.
"""
