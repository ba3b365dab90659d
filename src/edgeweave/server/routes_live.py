"""Server-sent events: a run's state and task instances, pushed when they change.

The browser's EventSource reconnects on its own, so a stream may end at any time; it ends
for sure when the run finishes (an ``end`` event) or the client goes away. The store is
polled (one small query pair every POLL_S, in a worker thread) because runs are changed
by the scheduler, which may live in another process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from edgeweave.server.deps import Context, context, reader
from edgeweave.server.problems import check_id
from edgeweave.store import repository as repo
from edgeweave.workflow.states import RunState

router = APIRouter(tags=["runs"])
POLL_S = 0.5
HEARTBEAT_S = 15.0
MAX_STREAM_S = 3600.0
FINISHED_RUNS = frozenset({RunState.SUCCESS.value, RunState.FAILED.value, RunState.CANCELLED.value})


def snapshot(ctx: Context, run_id: str) -> dict[str, Any]:
    """The run and its task instances, as ``GET /runs/{run_id}`` reads them (one connection)."""
    run, tasks = repo.run_with_tasks(ctx.engine, run_id)
    return {"run": run, "tasks": tasks}


@router.get("/runs/{run_id}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "`run` events ({run, tasks}) on change, then `end`"}})
async def run_events(run_id: str, request: Request, ctx: Context = Depends(context),
                     _: Any = reader) -> StreamingResponse:
    check_id(run_id, "run id")
    first = await asyncio.to_thread(snapshot, ctx, run_id)  # 404 before the stream starts

    async def stream() -> AsyncIterator[str]:
        last, data = "", first
        started = beat = time.monotonic()
        while True:
            text = orjson.dumps(data).decode()
            if text != last:
                yield f"event: run\ndata: {text}\n\n"
                last, beat = text, time.monotonic()
            if data["run"]["state"] in FINISHED_RUNS:
                yield "event: end\ndata: {}\n\n"
                return
            if time.monotonic() - beat > HEARTBEAT_S:
                yield ": keep-alive\n\n"
                beat = time.monotonic()
            if await request.is_disconnected() or time.monotonic() - started > MAX_STREAM_S:
                return
            await asyncio.sleep(POLL_S)
            data = await asyncio.to_thread(snapshot, ctx, run_id)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
