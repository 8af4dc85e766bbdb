"""Running the service: bind safely, publish the service file once it answers, clean up on the way out.

By default the service listens on a unix socket in the private runtime folder (0700; the socket itself 0600).
`--port N` listens on 127.0.0.1:N instead. Any other address needs `--allow-remote` and is announced loudly:
the token is then the only thing between the index and the network.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from klein_app import __version__
from klein_app.errors import UsageError, UserError
from klein_app.server import auth, discovery
from klein_app.server.state import ServiceState

log = logging.getLogger(__name__)
LOOPBACK = "127.0.0.1"


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_host(host: str, allow_remote: bool) -> None:
    """Refuse a non-loopback address unless the user said so explicitly."""
    if not is_loopback(host) and not allow_remote:
        raise UsageError(f"--host {host} would expose your index beyond this machine; add --allow-remote to mean it")


class ServiceRunner:
    """uvicorn serving the app on a thread or on the caller's thread; publishes the service file when up."""

    def __init__(
        self,
        state: ServiceState,
        *,
        port: int | None = None,
        host: str = LOOPBACK,
        uds: Path | None = None,
        log_level: str = "warning",
    ) -> None:
        import uvicorn

        from klein_app.server.app import create_app

        self.state = state
        data_dir = state.ctx.paths.data_dir
        self.token_path = discovery.token_file()
        token = auth.ensure_token(self.token_path)
        if port is None:
            self.uds = Path(uds) if uds is not None else discovery.socket_path(data_dir)
            config = uvicorn.Config(
                create_app(state, token), uds=str(self.uds), log_level=log_level, access_log=False, lifespan="off"
            )
        else:
            self.uds = None
            config = uvicorn.Config(
                create_app(state, token), host=host, port=port, log_level=log_level, access_log=False, lifespan="off"
            )
        self.host = host
        self.server = uvicorn.Server(config)
        self.info: discovery.ServiceInfo | None = None
        self._thread: threading.Thread | None = None

    def _claim(self) -> None:
        running = discovery.find_service(self.state.ctx.paths.data_dir)
        if running is not None and running.pid != os.getpid():
            raise UserError(f"a service already runs for this index: {running.url} (pid {running.pid})")
        if self.uds is not None and self.uds.exists():
            self.uds.unlink()  # left by a service that was killed: nobody answers on it

    def _publish_when_up(self) -> None:
        while not self.server.started:
            if self.server.should_exit:
                return
            time.sleep(0.01)
        if self.uds is not None:
            os.chmod(self.uds, 0o600)
            url = f"unix:{self.uds}"
        else:
            sock = self.server.servers[0].sockets[0]
            url = f"http://{self.host}:{sock.getsockname()[1]}"
        self.info = discovery.ServiceInfo(
            pid=os.getpid(),
            url=url,
            data_dir=str(self.state.ctx.paths.data_dir),
            token_file=str(self.token_path),
            version=__version__,
            started_at=time.time(),
        )
        self.state.info = self.info
        discovery.write_service_info(self.info)

    def run(self) -> None:
        """Serve on this thread until SIGINT/SIGTERM (or stop())."""
        self._claim()
        threading.Thread(target=self._publish_when_up, daemon=True, name="publish").start()
        old_umask = os.umask(0o077)  # the socket is created private
        # uvicorn re-raises the signal that stopped it once it has shut down; with the default SIGTERM
        # action that would kill the process before the service file and the socket are removed.
        previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.server.run()
        finally:
            os.umask(old_umask)
            self._cleanup()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def start(self, timeout: float = 30.0) -> discovery.ServiceInfo:
        """Serve on a background thread (tests, the bench); returns once the service file is written."""
        self._claim()
        self.server.config.install_signal_handlers = False  # only the main thread may
        self._thread = threading.Thread(target=self._serve_thread, daemon=True, name="klein-service")
        self._thread.start()
        deadline = time.monotonic() + timeout
        while self.info is None:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise UserError("the service did not start")
            if self.server.started:
                self._publish_when_up()
            time.sleep(0.01)
        return self.info

    def _serve_thread(self) -> None:
        try:
            self.server.run()
        finally:
            self._cleanup()

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _cleanup(self) -> None:
        if self.info is not None:
            discovery.remove_service_info(self.info)
        self.state.close()


def _ignore(signum, frame) -> None:
    pass


def serve(db: str | None, *, port: int | None, host: str, allow_remote: bool, watch: bool, quiet: bool) -> int:
    if port is None and host != LOOPBACK:
        raise UsageError("--host needs --port (without a port the service listens on a unix socket)")
    if port is not None:
        check_host(host, allow_remote)
        if not 0 <= port <= 65535:
            raise UsageError("--port must be between 0 and 65535")
    state = ServiceState(db, watch=watch)
    state.warm_up()
    runner = ServiceRunner(state, port=port, host=host)
    if port is not None and not is_loopback(host):
        bar = "!" * 78
        print(
            f"{bar}\nWARNING: klein-search is listening on {host}:{port}, reachable from other machines.\n"
            f"Anyone with the token in {runner.token_path} can read every indexed file.\n{bar}",
            file=sys.stderr,
            flush=True,
        )

    def announce() -> None:
        while runner.info is None and not runner.server.should_exit:
            time.sleep(0.02)
        if runner.info is not None and not quiet:
            print(
                f"klein-search serving {state.ctx.paths.data_dir} at {runner.info.url}\n"
                f"token: {runner.token_path}  (send it as 'Authorization: Bearer <token>'); docs: /docs",
                file=sys.stderr,
                flush=True,
            )

    threading.Thread(target=announce, daemon=True).start()
    runner.run()
    return 0
