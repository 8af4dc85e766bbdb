"""Model subcommands: `embed` (try the model on a few texts), `model` (what is loaded) and `train`."""

from __future__ import annotations

import json

from klein_app.errors import UserError


def register(subparsers) -> None:
    p = subparsers.add_parser("embed", help="embed texts and show each one's nearest other text")
    p.add_argument("texts", nargs="+", metavar="TEXT")
    p.add_argument("--model", metavar="DIR", help="model folder (default: the bundled model)")
    p.add_argument("--dim", type=int, help="Matryoshka dimension to truncate to")
    p.add_argument("--json", action="store_true", help="print JSON (vectors included)")
    p.set_defaults(func=cmd_embed)

    p = subparsers.add_parser("model", help="show the model: name, size, fingerprint, evaluation")
    p.add_argument("--model", metavar="DIR", help="model folder (default: the bundled model)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_model)

    # The trainer parses its own arguments (--recipe, --data, --out, --export, ...; `train --help` lists them):
    # the CLI hands it everything after `train`, so the trainer is imported only when this command runs.
    p = subparsers.add_parser(
        "train",
        help="reproduce the bundled model from public data",
        add_help=False,
        description="Runs the trainer; see `klein-search train --help`.",
    )
    p.set_defaults(func=cmd_train, rest=[])


def switch_model(db: str | None, spec: str) -> None:
    """Make `spec` the configured model (the top-level --model option), checked without loading torch."""
    import sys

    from klein_app.context import open_context
    from klein_app.errors import UserError
    from klein_app.modelcard import model_folder
    from klein_model.folder import BUNDLED_NAME, KLEIN_JSON

    folder = model_folder(spec)
    if folder is None or not (folder / KLEIN_JSON).is_file():
        raise UserError(f"no model {spec!r}: give a bundled name (lite, v1, {BUNDLED_NAME}) or a model folder")
    ctx = open_context(db)  # a SettingsError is a UserError already
    if ctx.settings.model != spec:
        ctx.settings.model = spec
        ctx.save_settings()
        print(f"klein-search: model set to {spec}; `klein-search index` rebuilds the index for it", file=sys.stderr)


def _load(path: str | None):
    import klein_model

    return klein_model.load(path)  # a ModelLoadError is translated by the CLI


def embed_payload(model, texts: list[str], dim: int | None) -> dict:
    """What `embed --json` and `POST /embed` answer: each text's vector and its nearest other text."""
    import numpy as np

    from klein_app.errors import UsageError

    try:
        vectors = model.encode(texts, dim=dim)
    except ValueError as exc:  # a --dim the model does not have
        raise UsageError(str(exc)) from exc
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    rows = []
    for i, text in enumerate(texts):
        j = int(np.argmax(sims[i])) if len(texts) > 1 else None
        rows.append(
            {
                "text": text,
                "dim": int(vectors.shape[1]),
                "nearest": texts[j] if j is not None else None,
                "similarity": float(sims[i, j]) if j is not None else None,
                "vector": vectors[i].round(6).tolist(),
            }
        )
    return {"model": model.name, "fingerprint": model.fingerprint, "results": rows}


def cmd_embed(args) -> int:
    from klein_app.modelcard import check_dim  # imports klein_model, hence numpy: not at start-up

    check_dim(args.model, args.dim)  # from the model card, before torch loads
    model = _load(args.model)
    payload = embed_payload(model, args.texts, args.dim)
    if args.json:
        print(json.dumps(payload, ensure_ascii=False))
        return 0
    print(f"model {model.name} ({model.dim} dims, {model.precision})")
    for row in payload["results"]:
        near = f"nearest: {row['nearest']!r} (cos {row['similarity']:.3f})" if row["nearest"] is not None else ""
        print(f"[{row['dim']}] {row['text']!r}  {near}")
    return 0


def cmd_model(args) -> int:
    from klein_app.modelcard import model_evaluation

    model = _load(args.model)
    info = {
        "name": model.name,
        "version": model.info.version,
        "folder": str(model.folder),
        "dim": model.dim,
        "matryoshka_dims": model.matryoshka_dims,
        "max_seq_length": model.max_seq_length,
        "layers": model.layers,
        "parameters": model.n_parameters,
        "precision": model.precision,
        "runtime": model.runtime,
        "fingerprint": model.fingerprint,
        "evaluation": model_evaluation(model.info),
    }
    if args.json:
        print(json.dumps(info, ensure_ascii=False))
    else:
        for key, value in info.items():
            if key != "evaluation":
                print(f"{key:>15}: {value}")
        print(f"{'evaluation':>15}: {'none recorded' if not info['evaluation'] else ''}".rstrip())
        for line in _evaluation_lines(info["evaluation"]):
            print(f"{'':>17}{line}")
    return 0


def _evaluation_lines(evaluation: dict, prefix: str = "") -> list[str]:
    """Nested {who: {benchmark: {metric: value}}} as one line per benchmark."""
    lines = []
    for key, value in evaluation.items():
        if isinstance(value, dict) and any(isinstance(v, dict) for v in value.values()):
            lines += _evaluation_lines(value, f"{prefix}{key} ")
        elif isinstance(value, dict):
            figures = ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in value.items())
            lines.append(f"{prefix}{key}: {figures}")
        else:
            lines.append(f"{prefix}{key}: {value}")
    return lines


def cmd_train(args) -> int:
    # The trainer and its extra dependencies load only here: the app never needs them otherwise.
    try:
        from trainer.run import main as train_main
    except ImportError as exc:
        raise UserError(f"the trainer needs the 'train' extra: pip install 'klein-search[train]' ({exc})") from exc
    try:
        return int(train_main(args.rest) or 0)
    except SystemExit as exc:  # the trainer's argparse (--help, a missing --data): its code is ours
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
