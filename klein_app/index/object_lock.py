"""The one-writer rule on object storage: a lease object, taken and renewed with S3 conditional writes.

Public API:
    ObjectLease.acquire(path: ObjectPath, ttl_s=LEASE_TTL_S) -> ObjectLease    raises IndexBusy when held
    lease.release()
    lease.lost        True once a renewal failed (another writer took the lease after it expired)

LanceDB's own commits are safe under concurrent writers (each table commit is a conditional PUT of the
next manifest), but the index's write protocol spans tables and commits: a file's chunks, then its files
row, with reconcile() repairing a crash between the two. Two writers interleaving there would duplicate
chunks or reconcile away each other's half-written files. So writes keep one writer, as on a local disk.

There is no kernel to drop a lock when its holder dies, so the lock is a lease: a small JSON object
{owner, host, pid, expires_at}. It is created with `If-None-Match: *` (fails if any lease exists),
renewed every ttl/3 by a background thread with `If-Match: <etag>` (fails if someone else wrote it), and
released by marking it free, again with `If-Match`. A lease past its expiry (its holder died) or marked
free is taken over with `If-Match` on the etag that was read, so two takers cannot both win.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid

from klein_app.index.lock import IndexBusy

LEASE_TTL_S = 60.0


class ObjectLease:
    def __init__(self, client, bucket: str, key: str, owner: str, etag: str, ttl_s: float):
        self.client = client
        self.bucket = bucket
        self.key = key
        self.owner = owner
        self.etag = etag
        self.ttl_s = ttl_s
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew_loop, name="klein-lease", daemon=True)
        self._thread.start()

    @classmethod
    def acquire(cls, path, ttl_s: float = LEASE_TTL_S) -> ObjectLease:
        client = _client()
        bucket, key = path.bucket, path.prefix
        owner = uuid.uuid4().hex
        etag = _put(client, bucket, key, _body(owner, ttl_s), if_none_match=True)
        if etag is None:
            held = _read(client, bucket, key)
            if held is None:  # released and deleted between the two calls: try once more
                etag = _put(client, bucket, key, _body(owner, ttl_s), if_none_match=True)
            else:
                record, held_etag = held
                if record.get("released") or float(record.get("expires_at", 0)) < time.time():
                    etag = _put(client, bucket, key, _body(owner, ttl_s), if_match=held_etag)
            if etag is None:
                record = (_read(client, bucket, key) or ({}, ""))[0]
                raise IndexBusy(
                    "the index is being updated by another klein-search process "
                    f"(pid {record.get('pid', 'unknown')} on {record.get('host', 'unknown')}); "
                    "wait for it or stop it, then try again"
                )
        return cls(client, bucket, key, owner, etag, ttl_s)

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            etag = _put(self.client, self.bucket, self.key, _body(self.owner, self.ttl_s), if_match=self.etag)
            if etag is None:
                self.lost = True
                return
            self.etag = etag

    def release(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if not self.lost:
            _put(self.client, self.bucket, self.key, _body(self.owner, 0, released=True), if_match=self.etag)


def _body(owner: str, ttl_s: float, released: bool = False) -> bytes:
    record = {
        "owner": owner,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "expires_at": time.time() + ttl_s,
        "released": released,
    }
    return json.dumps(record).encode()


def _client():
    try:
        import boto3
    except ImportError:
        from klein_app.location import LocationError

        raise LocationError(
            "writing to object storage needs the cluster extra: pip install 'klein-search[cluster]'"
        ) from None
    return boto3.client("s3")  # endpoint, region and credentials from the standard AWS variables


def _put(client, bucket: str, key: str, body: bytes, *, if_none_match: bool = False, if_match: str = "") -> str | None:
    """A conditional PUT; the new etag, or None when the condition failed."""
    from botocore.exceptions import ClientError

    kwargs = {"IfNoneMatch": "*"} if if_none_match else {"IfMatch": if_match}
    try:
        return client.put_object(Bucket=bucket, Key=key, Body=body, **kwargs)["ETag"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
            return None
        raise


def _read(client, bucket: str, key: str) -> tuple[dict, str] | None:
    from botocore.exceptions import ClientError

    try:
        obj = client.get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    try:
        record = json.loads(obj["Body"].read())
    except ValueError:
        record = {}
    return record, obj["ETag"]
