"""One WebSocket connection to a session: read commands, apply them, send what is due.

The route hands an accepted socket to ``Connection.run``. A reader reads and validates
commands and applies them through the session's runner (in the session's worker); a writer
sends what the mailbox holds. All of it runs on the server's event loop, which owns the
runner and the mailbox. Every command gets an ``ack`` or an ``error``; a bad one
changes nothing. Commands beyond the rate limit are refused with an error.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import Any

from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.api import schemas as w
from app.live import ops
from app.live.frames import dumps, set_view
from app.live.mailbox import Ended, Mailbox, Overflow
from app.live.manager import SHUTTING_DOWN, Runner
from app.settings import Settings
from app.training import Session

log = logging.getLogger(__name__)

CLOSE_GOING_AWAY = 1001
CLOSE_UNSUPPORTED = 1003
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
BUSY = "too many commands waiting for their replies; wait for some"
CLEAN_CLOSES = (1000, 1001)  # a page closed (or left), rather than its connection dropped


class RateLimit:
    """A token bucket: ``rate`` per second sustained, ``burst`` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, float(burst)
        self.tokens = float(burst)
        self.t = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.t) * self.rate)
        self.t = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def error_text(message: str, command: str | None = None, cid: Any = None) -> str:
    msg: dict[str, Any] = {"type": "error", "message": message}
    if command is not None:
        msg["command"] = command
    if cid is not None:
        msg["id"] = cid
    return dumps(msg)


def validation_message(exc: ValidationError) -> str:
    e = exc.errors()[0]
    loc = ".".join(str(p) for p in e["loc"] if p not in w.COMMAND_TYPES)
    return f"{loc}: {e['msg']}" if loc else str(e["msg"])


class Connection:
    def __init__(self, websocket: WebSocket, runner: Runner, settings: Settings) -> None:
        self.ws = websocket
        self.runner = runner
        self.settings = settings
        self.mailbox = Mailbox(asyncio.get_running_loop(), settings.max_send_queue)
        self.limit = RateLimit(settings.messages_per_second, settings.message_burst)
        self.close_reason = "too many unread replies"
        self.clean = False  # the client closed the socket with a close frame of its own

    async def run(self) -> None:
        """Serve the socket until it closes; always detaches from the session."""
        writer = asyncio.create_task(self._write())
        self._in_flight: list[asyncio.Task[None]] = []  # commands not yet answered, in order
        try:
            hello = await self.runner.call(ops.hello)
            self.mailbox.reply(
                dumps(
                    {"type": "hello", "session": self.runner.id, **hello, "limits": self._limits()}
                )
            )
            self.runner.attach(self.mailbox)
            await self._read(writer)
        except WebSocketDisconnect:
            pass
        except LookupError:  # the session ended before this socket attached
            await self._close(CLOSE_POLICY, "session ended")
        finally:
            writer.cancel()
            for task in self._in_flight:
                task.cancel()
            self.runner.detach(self.mailbox)

    def _limits(self) -> dict[str, Any]:
        s = self.settings
        return {
            "max_message_bytes": s.max_message_bytes,
            "messages_per_second": s.messages_per_second,
        }

    async def _read(self, writer: asyncio.Task[None]) -> None:
        while True:
            receive = asyncio.ensure_future(self.ws.receive())
            done, _ = await asyncio.wait({receive, writer}, return_when=asyncio.FIRST_COMPLETED)
            message = receive.result() if receive in done else None
            if message is not None and message["type"] == "websocket.disconnect":
                self.clean = message.get("code") in CLEAN_CLOSES  # (the writer may end too)
                return
            if writer in done:  # the writer stopped: overflow, session ended, broken socket
                receive.cancel()
                code = CLOSE_GOING_AWAY if self.close_reason == SHUTTING_DOWN else CLOSE_POLICY
                await self._close(code, self.close_reason)
                return
            assert message is not None
            text = message.get("text")
            if text is None:
                await self._close(CLOSE_UNSUPPORTED, "send JSON text messages")
                return
            if len(text) > self.settings.max_message_bytes // 4 and (
                len(text.encode("utf-8")) > self.settings.max_message_bytes
            ):
                await self._close(CLOSE_TOO_BIG, "message too big")
                return
            if not self.limit.allow():
                self._answer_in_turn(error_text("rate limit: too many messages, slow down"))
                continue
            if len(self._in_flight) >= self.settings.max_send_queue:
                self._answer_in_turn(error_text(BUSY))
                continue
            self.mailbox.hold()
            self._answer_in_turn(self.handle(text))

    def _answer_in_turn(self, answer: str | Coroutine[Any, Any, str]) -> None:
        """Start ``answer`` (a command: it reaches the session now, in the order the
        commands came) and queue its reply behind the replies of the commands before it.
        So a long command does not hold the next ones back from the session: a pause
        reaches a running step, a read answers between its slices."""
        before = self._in_flight[-1] if self._in_flight else None
        task = asyncio.create_task(self._answer(answer, before))
        self._in_flight.append(task)
        task.add_done_callback(self._in_flight.remove)

    async def _answer(
        self, answer: str | Coroutine[Any, Any, str], before: asyncio.Task[None] | None
    ) -> None:
        held = not isinstance(answer, str)
        try:
            text = answer if isinstance(answer, str) else await answer
        except LookupError:  # the session ended: the writer closes the socket
            self.mailbox.end("session ended")
            return
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug: the connection and the server go on
            log.exception("a command on session %s failed", self.runner.id)
            text = error_text("internal error")
        if before is not None:
            await asyncio.wait({before})
        self.mailbox.reply(text, release=held)

    async def _close(self, code: int, reason: str) -> None:
        try:
            await self.ws.close(code=code, reason=reason)
        except (RuntimeError, WebSocketDisconnect):  # already closed, or the client is gone
            pass

    async def handle(self, text: str) -> str:
        """One command in, its ``ack`` (or reply) or ``error`` out, as JSON text."""
        try:
            data = w.loads_strict(text)
        except ValueError as exc:
            return error_text(f"invalid JSON: {exc}")
        cid = data.get("id") if isinstance(data, dict) else None
        if not isinstance(cid, int | str) or isinstance(cid, bool):
            cid = None
        kind = data.get("type") if isinstance(data, dict) else None
        kind = kind if isinstance(kind, str) and kind in w.COMMAND_TYPES else None
        try:
            cmd = w.COMMANDS.validate_python(data)
        except ValidationError as exc:
            return error_text(validation_message(exc), kind, cid)
        try:
            reply_type, payload = await self.apply(cmd)
        except ValueError as exc:
            return error_text(str(exc), cmd.type, cmd.id)
        msg: dict[str, Any] = {"type": reply_type, "command": cmd.type, **payload}
        if cmd.id is not None:
            msg["id"] = cmd.id
        return dumps(msg)

    async def apply(self, cmd: Any) -> tuple[str, dict[str, Any]]:
        """Run one validated command on the session; returns the reply's type and body."""
        call = self.runner.call
        match cmd:
            case w.AddPoint():
                return "ack", {"index": await call(Session.add_point, cmd.x, cmd.label, cmd.test)}
            case w.MovePoint():
                await call(Session.move_point, cmd.index, cmd.x)
            case w.RemovePoint():
                await call(Session.remove_point, cmd.index)
            case w.ClearPoints():
                await call(Session.clear_points)
            case w.SetPoints():
                await call(Session.set_points, cmd.x, cmd.y, cmd.test)
            case w.LoadDataset():
                changes = cmd.model_dump(exclude={"type", "id"}, exclude_none=True)
                return "ack", await call(ops.configure, changes)
            case w.SetConfig():
                return "ack", await call(ops.configure, cmd.changes)
            case w.SetParam():
                await call(Session.set_param, cmd.layer, cmd.kind, cmd.index, cmd.value)
            case w.Play():
                await call(ops.play)
            case w.Pause():
                await call(ops.pause)
            case w.Step():
                return "ack", await call(ops.step, cmd.epochs)
            case w.Reset():
                await call(ops.reset)
            case w.Export():
                return "export", {"document": await call(Session.export)}
            case w.Import():
                return "ack", await call(ops.import_into, cmd.document)
            case w.GetState():
                return "state", {"state": await call(Session.state)}
            case w.GetHistory():
                return "history", await call(ops.history)
            case w.GetSurface():
                return "surface", await call(Session.loss_surface, cmd.resolution, cmd.include)
            case w.GetPast():
                return "past", await call(ops.past_frame, cmd.epoch)
            case w.Branch():
                return "ack", await call(ops.branch_at, cmd.epoch)
            case w.GetHidden():
                return "hidden", await call(ops.hidden, cmd.layer)
            case w.SetView():
                await call(set_view, cmd.size, cmd.neuron, cmd.gradients)
        return "ack", {}

    async def _write(self) -> None:
        try:
            while True:
                for data in await self.mailbox.take():  # text, or a binary frame
                    if isinstance(data, bytes):
                        await self.ws.send_bytes(data)
                    else:
                        await self.ws.send_text(data)
        except Ended as exc:
            self.close_reason = str(exc)
        except (Overflow, WebSocketDisconnect, RuntimeError, OSError):
            return
