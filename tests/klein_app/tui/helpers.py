"""Small async helpers for driving the app with Pilot."""

from __future__ import annotations

import asyncio
import time

from textual.worker import WorkerCancelled, WorkerError, WorkerFailed, WorkerState

from klein_app.tui.app import KleinApp

# Tests type and then settle; a short debounce keeps them fast (the app's default is 0.25 s).
TEST_DEBOUNCE_S = 0.02


def make_app(backend, **kwargs) -> KleinApp:
    kwargs.setdefault("debounce_s", TEST_DEBOUNCE_S)
    return KleinApp(backend, **kwargs)


async def settle(pilot, rounds: int = 3) -> None:
    """Let debounce timers fire and workers finish, then let their results paint."""
    app = pilot.app
    # The app opens the index a moment after its first frame; wait for that before anything else.
    await wait_for(pilot, lambda: app.status.phase != "starting", timeout=30, step=0.02)
    await pilot.pause(TEST_DEBOUNCE_S + 0.03)
    for _ in range(rounds):
        await _workers_done(app)
        await pilot.pause(0.02)
    _steady_cursors(app)
    await pilot.pause()


def _steady_cursors(app) -> None:
    """A blinking cursor is drawn or not depending on when the screen is captured: snapshots flaked on it."""
    from textual.widgets import Input

    for widget in app.screen.query(Input):
        widget.cursor_blink = False


async def _workers_done(app, timeout: float = 30.0) -> None:
    """Until no worker is pending or running. A superseded (cancelled) one counts as done."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        active = [w for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
        if not active:
            return
        for worker in active:
            try:
                await worker.wait()
            except (WorkerCancelled, WorkerFailed, WorkerError):
                pass  # cancelled or failed: finished; pending: looked at again next round
        await asyncio.sleep(0.01)


async def wait_for(pilot, condition, timeout: float = 30.0, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await pilot.pause(step)
    return condition()


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


async def search_for(pilot, text: str) -> None:
    """Wait for the app to open, type a query and wait for its results: the opening of most screen tests."""
    await settle(pilot)
    await type_text(pilot, text)
    await settle(pilot)
