"""`klein-search serve`: a local HTTP API that keeps the model, the index and the watcher warm.

discovery.py   where a running service is (runtime folder, socket, service file) and whether it answers
auth.py        the per-user bearer token (a 0600 file) and its check
app.py         the FastAPI routes
state.py       what the service holds: the context, the query encoder and its cache, the watcher
run.py         binding (unix socket or 127.0.0.1), the service file, uvicorn
client.py      the CLI's and the TUI's side: http.client over the socket, no heavy imports
units.py       the systemd user unit and the launchd agent (`klein-search service install`)
"""
