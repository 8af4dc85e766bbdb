"""The service's HTTP API (FastAPI; OpenAPI docs at /docs, the schema at /openapi.json).

Every answer is the JSON the CLI prints with `--json` for the same command, built by the same functions
(the result types' `to_json`, `collect_status`, the commands' payload builders). Errors are the CLI's error
JSON (`KleinError.to_json`: error, kind, exit_code; and `type`, the error's class) with status 400 for a bad request and 409 when the
request was understood but cannot be carried out. Every route needs `Authorization: Bearer <token>`.

Routes are plain `def`s: FastAPI runs them on its worker threads, so many reads proceed at once while the
writer lock keeps writes one at a time.
"""

from __future__ import annotations

from typing import Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from klein_app import __version__
from klein_app.server import auth
from klein_app.server.state import ServiceState

Mode = Literal["hybrid", "vector", "text"]


class BatchSearch(BaseModel):
    queries: list[str] = Field(description="one search per item; an empty or wordless one gets an error record")
    mode: Mode = "hybrid"
    k: int = Field(10, ge=1)
    path: str | None = None
    ext: str | None = None
    since: str | None = None


class IndexRequest(BaseModel):
    paths: list[str] = Field(default_factory=list, description="absolute paths inside watched folders; none: all")
    rebuild: bool = False


class FoldersRequest(BaseModel):
    paths: list[str] = Field(description="absolute folder paths to watch")
    index: bool = Field(True, description="index them now (else the watcher does, shortly)")


class EmbedRequest(BaseModel):
    texts: list[str] = Field(min_length=1)
    dim: int | None = Field(None, description="Matryoshka dimension to truncate to")


class CliRequest(BaseModel):
    argv: list[str]
    cwd: str
    stdin: str = ""


def user_error_types() -> tuple[type[Exception], ...]:
    """What `klein_app.cli.translate` turns into a user-facing error (anything else is a bug: 500)."""
    from klein_app.errors import KleinError
    from klein_model.errors import ModelLoadError

    return (KleinError, ModelLoadError)


def create_app(state: ServiceState, token: str) -> FastAPI:
    app = FastAPI(
        title="klein-search",
        version=__version__,
        description="Local semantic search over your own files. Every request needs `Authorization: Bearer <token>`; "
        "the token is in the file `klein-search status --json` names.",
    )

    def require_token(request: Request) -> None:
        if not auth.authorized(request.headers.get("authorization"), token):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    async def user_error(request: Request, exc: Exception):
        from klein_app.cli import translate

        err = translate(exc)
        body = err.to_json()
        body["type"] = type(exc).__name__  # which error, for programs (the TUI shows an empty index as no results)
        return JSONResponse(body, status_code=400 if err.exit_code == 2 else 409)

    # Anything else is a bug: Starlette answers 500 and logs the traceback.
    for cls in user_error_types():
        app.add_exception_handler(cls, user_error)

    # The docs pages themselves stay reachable without the token (they hold no data); every data route needs it.
    guarded = [Depends(require_token)]
    ctx = state.ctx

    @app.get("/search", dependencies=guarded, summary="search by meaning and words (CLI: search --json)")
    def get_search(
        q: str,
        mode: Mode = "hybrid",
        k: int = Query(10, ge=1),
        path: str | None = None,
        ext: str | None = None,
        since: str | None = None,
    ) -> dict:
        from klein_app.commands.query_cmds import run_search, search_record

        return search_record(q, run_search(ctx, q, k=k, mode=mode, path=path, ext=ext, since=since))

    @app.post("/search", dependencies=guarded, summary="many searches (CLI: search --queries FILE --json)")
    def post_search(body: BatchSearch) -> list[dict]:
        from klein_app.commands.query_cmds import batch_record

        return [
            batch_record(ctx, q, k=body.k, mode=body.mode, path=body.path, ext=body.ext, since=body.since)
            for q in body.queries
            if q.strip()
        ]

    @app.get("/similar", dependencies=guarded, summary="files closest to a file (CLI: similar --json)")
    def get_similar(path: str, k: int = Query(10, ge=0)) -> list[dict]:
        from klein_app.queries import similar

        return [r.to_json() for r in similar(ctx.reader_store(), path, k=k)]

    @app.get("/dupes", dependencies=guarded, summary="duplicate files or passages (CLI: dupes --json)")
    def get_dupes(
        threshold: float = Query(0.92, gt=0.0, le=1.0), level: Literal["file", "chunk"] = "file"
    ) -> list[dict]:
        from klein_app.queries import duplicates

        return [g.to_json() for g in duplicates(ctx.reader_store(), threshold=threshold, level=level)]

    @app.get("/clusters", dependencies=guarded, summary="files grouped by meaning (CLI: clusters --json)")
    def get_clusters(n: int | None = Query(None, ge=1), seed: int = 0) -> list[dict]:
        from klein_app.queries import cluster_files

        return [c.to_json() for c in cluster_files(ctx.reader_store(), n=n, seed=seed).clusters]

    @app.get("/status", dependencies=guarded, summary="folders, counts, model, service (CLI: status --json)")
    def get_status() -> dict:
        from klein_app.commands.index_cmds import collect_status

        return collect_status(ctx, service=state.describe())

    @app.get("/counts", dependencies=guarded, summary="indexed files and chunks (cheap, for status lines)")
    def get_counts() -> dict:
        store = ctx.reader_store()
        if store is None:
            return {"files": 0, "chunks": 0}
        return {"files": int(store.count_files("indexed")), "chunks": int(store.count_chunks())}

    @app.get("/files", dependencies=guarded, summary="every indexed or skipped file (CLI: files --json)")
    def get_files(skipped: bool = False) -> list[dict]:
        from klein_app.commands.index_cmds import file_rows

        return file_rows(ctx, skipped=skipped)

    @app.get("/folders", dependencies=guarded, summary="the watched folders")
    def get_folders() -> dict:
        return {"folders": list(ctx.settings.folders)}

    @app.post("/folders", dependencies=guarded, summary="watch folders and index them (CLI: add --json)")
    def post_folders(body: FoldersRequest) -> dict:
        from klein_app.commands.index_cmds import add_payload

        payload = add_payload(ctx, body.paths, index=body.index)
        state.folders_changed()
        return payload

    @app.delete("/folders", dependencies=guarded, summary="stop watching a folder (CLI: remove --json)")
    def delete_folders(path: str) -> dict:
        from klein_app.commands.index_cmds import remove_payload

        payload = remove_payload(ctx, path)
        state.folders_changed()
        return payload

    @app.post("/index", dependencies=guarded, summary="bring the index up to date now (CLI: index --json)")
    def post_index(body: IndexRequest | None = None) -> dict:
        from dataclasses import asdict

        body = body or IndexRequest()
        from klein_app.commands.index_cmds import index_now

        return asdict(index_now(ctx, body.paths or None, rebuild=body.rebuild))

    @app.post("/embed", dependencies=guarded, summary="embed texts with the index's model (CLI: embed --json)")
    def post_embed(body: EmbedRequest) -> dict:
        from klein_app.commands.model_cmds import embed_payload

        return embed_payload(ctx.query_encoder(), body.texts, body.dim)

    @app.post("/cli", dependencies=guarded, include_in_schema=False)
    def post_cli(body: CliRequest) -> dict:
        # The CLI's own path through the service: the same parser and handlers, run here with the warm
        # context, so its output and exit code are exactly those of the in-process run.
        from klein_app.server.forward import run_forwarded

        return run_forwarded(state, body.argv, body.cwd, body.stdin)

    return app
