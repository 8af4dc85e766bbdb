"""The client side: find the service for an index folder and call it, with http.client over the unix socket.

Light on purpose: the CLI imports this before deciding whether to load anything heavy, so it uses only the
standard library (http.client, socket, json; about 20 ms of imports against httpx's 100-200 ms).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import sys
import urllib.parse

from klein_app.server.auth import header_value, read_token
from klein_app.server.discovery import ServiceInfo, find_service

NO_SERVICE_ENV = "KLEIN_SEARCH_NO_SERVICE"
# Commands worth a warm process; the rest (embed, model, train, watch, serve, service) run in the CLI itself.
FORWARDED = frozenset({"search", "similar", "dupes", "clusters", "status", "files", "add", "remove", "index"})


class ServiceUnavailable(Exception):
    """No connection could be made: the caller works in-process instead."""


class ServiceError(Exception):
    """The service answered with an error status; `payload` is its JSON body."""

    def __init__(self, status: int, payload: dict) -> None:
        super().__init__(payload.get("error") or payload.get("detail") or f"HTTP {status}")
        self.status = status
        self.payload = payload


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float | None) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class ServiceClient:
    def __init__(self, info: ServiceInfo, token: str) -> None:
        self.info = info
        self._token = token

    @classmethod
    def find(cls, data_dir) -> ServiceClient | None:
        """The client for the service of this index folder, or None when none runs (or it is turned off)."""
        if os.environ.get(NO_SERVICE_ENV):
            return None
        info = find_service(data_dir)
        if info is None:
            return None
        token = read_token(info.token_file)
        return None if token is None else cls(info, token)

    def _connection(self, timeout: float | None) -> http.client.HTTPConnection:
        if self.info.socket_path:
            return _UnixConnection(self.info.socket_path, timeout)
        parts = urllib.parse.urlsplit(self.info.url)
        return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)

    def request(self, method: str, path: str, *, params: dict | None = None, body=None, timeout: float | None = 600.0):
        """The decoded JSON answer; ServiceUnavailable before anything was sent, ServiceError for an error status."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        target = path + ("?" + urllib.parse.urlencode(query, doseq=True) if query else "")
        headers = {"Authorization": header_value(self._token), "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        conn = self._connection(timeout)
        try:
            try:
                conn.connect()
            except OSError as exc:
                raise ServiceUnavailable(str(exc)) from exc
            conn.request(method, target, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        payload = json.loads(raw) if raw else None
        if response.status >= 400:
            raise ServiceError(response.status, payload if isinstance(payload, dict) else {})
        return payload


def forward(argv: list[str], data_dir, *, read_stdin: bool = False) -> int | None:
    """Run a CLI command in the service: prints what it printed and returns its exit code; None when no
    service answers (the caller runs the command itself)."""
    client = ServiceClient.find(data_dir)
    if client is None:
        return None
    stdin = sys.stdin.read() if read_stdin else ""
    try:
        answer = client.request("POST", "/cli", body={"argv": argv, "cwd": os.getcwd(), "stdin": stdin}, timeout=None)
    except ServiceUnavailable:
        return None
    except ServiceError as exc:
        if exc.status == 401:
            print(
                f"klein-search: the service at {client.info.url} refused the token; working in-process", file=sys.stderr
            )
            return None
        print(f"klein-search: the service failed: {exc}", file=sys.stderr)
        return 1
    except (OSError, http.client.HTTPException, ValueError) as exc:
        print(f"klein-search: lost the service mid-request: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(answer.get("stdout", ""))
    sys.stdout.flush()
    sys.stderr.write(answer.get("stderr", ""))
    return int(answer.get("exit_code", 1))
