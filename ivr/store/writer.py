"""The records writer process of `ivr serve`: it drains every worker's outbox files, so that the workers spend their
time on callers, not on the database."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from ivr.store.database import Store
from ivr.store.folder import WRITER_LOCK, try_lock
from ivr.store.recorder import GATHER_SECONDS, IDLE_SECONDS, Recorder

log = logging.getLogger("ivr.store.recorder")
# How much the records writer process yields the processor to the workers (see os.nice).
WRITER_NICENESS = 5


def run_writer_process(store: Store, folder: Path, parent: int, chore: Callable[[], object] | None = None) -> None:
    """Drain every worker's outbox from a process of its own until the parent process is gone.

    `ivr serve` starts one, so that the workers spend their time on callers, not on the database. While it
    holds the writer lock the workers' own writers stand aside; if it dies they take over within a second.
    """
    # Callers first: on a busy machine the workers get the processor, and the records (safe in the outboxes)
    # are written in the moments between.
    os.nice(WRITER_NICENESS)
    recorder = Recorder(store, folder, background=False)
    recorder.chore = chore  # the daily retention purge, a moment at a time (ivr.store.retention)
    handle = None
    while handle is None and os.getppid() == parent:
        handle = try_lock(folder / WRITER_LOCK)
        if handle is None:
            time.sleep(IDLE_SECONDS)  # an older writer still runs: wait for it to go
    log.info("The records writer drains %s.", folder)
    while os.getppid() == parent:
        time.sleep(GATHER_SECONDS)
        if recorder.resting():
            continue
        try:
            recorder.drain_all()
        except Exception:  # the writer must outlive anything one batch does
            log.exception("The records writer failed on a batch; it tries again shortly.")
            continue
        recorder.run_chore()
