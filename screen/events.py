"""Server-sent events: an incremental parser for the device event stream, and reconnect back-off.

The parser follows the WHATWG `text/event-stream` rules, because servers and proxies differ in
what they send: lines may end in CRLF, LF or CR (even split across network chunks), `:` lines are
comments (the 15 s heartbeats), several `data:` lines join with newlines, a blank line ends an
event, and the last `id:` seen is remembered so a reconnect can send `Last-Event-ID`.
"""
from __future__ import annotations

import codecs
import json
import random
from dataclasses import dataclass
from typing import Callable

__all__ = ["Backoff", "Event", "SSEParser"]


@dataclass(frozen=True)
class Event:
    """One dispatched event; `id` is the stream's last event id when it was dispatched."""

    type: str = "message"
    data: str = ""
    id: str | None = None


class SSEParser:
    """Feed it raw bytes as they arrive; it returns the events completed by each chunk."""

    def __init__(self, last_event_id: str | None = None):
        self.last_event_id = last_event_id
        self.retry_ms: int | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._skip_lf = False
        self._at_start = True
        self._reset_event()

    def _reset_event(self) -> None:
        self._type = ""
        self._data: list[str] = []
        self._id = self.last_event_id

    def feed(self, chunk: bytes) -> list[Event]:
        """Parse the next bytes of the stream; an unfinished line or event waits for more."""
        text = self._decoder.decode(chunk)
        if self._at_start and text:
            self._at_start = False
            text = text.removeprefix("\ufeff")
        if self._skip_lf and text:
            self._skip_lf = False
            text = text.removeprefix("\n")
        self._buffer += text
        events: list[Event] = []
        while True:
            cut = _first_line_end(self._buffer)
            if cut < 0:
                break
            line, end = self._buffer[:cut], self._buffer[cut]
            if end == "\r" and cut + 1 == len(self._buffer):
                self._skip_lf = True  # a CRLF may be split across chunks
                self._buffer = ""
            else:
                step = 2 if self._buffer.startswith("\r\n", cut) else 1
                self._buffer = self._buffer[cut + step:]
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def _line(self, line: str) -> Event | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None  # comment / heartbeat
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "event":
            self._type = value
        elif field == "data":
            self._data.append(value)
        elif field == "id" and "\0" not in value:
            self._id = value
        elif field == "retry" and value.isascii() and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> Event | None:
        self.last_event_id = self._id
        data, kind = self._data, self._type
        self._reset_event()
        if not data:
            return None
        return Event(type=kind or "message", data="\n".join(data), id=self.last_event_id)


def _first_line_end(text: str) -> int:
    """Index of the first CR or LF in text, or -1."""
    cr, lf = text.find("\r"), text.find("\n")
    if cr < 0:
        return lf
    return cr if lf < 0 else min(cr, lf)


class Backoff:
    """Reconnect delays: 1 s doubling up to 60 s, each plus up to 25 % random jitter on top.

    The jitter spreads out a hospital's screens so they do not all reconnect in the same second
    after a server restart. `rand` returns a float in [0, 1) and is injectable for tests.
    """

    def __init__(self, first: float = 1.0, cap: float = 60.0, jitter: float = 0.25,
                 rand: Callable[[], float] = random.random):
        self.first, self.cap, self.jitter, self._rand = first, cap, jitter, rand
        self.failures = 0

    def next(self) -> float:
        """The delay before the next attempt; each call counts one more failure."""
        base = min(self.cap, self.first * (2 ** min(self.failures, 32)))
        self.failures += 1
        return base + base * self.jitter * self._rand()

    def reset(self) -> None:
        """After a connection that worked: start again from the first delay."""
        self.failures = 0


def event_object(event: Event) -> dict | None:
    """The JSON object an event's data holds, or None when it holds anything else."""
    try:
        data = json.loads(event.data)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
