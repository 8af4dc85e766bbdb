"""The klein-search terminal UI (Textual).

Nothing here imports torch, lancedb or klein_model at import time: the first screen must paint fast,
so the index and the model are opened lazily, in worker threads, through `backend.Backend`.
"""
