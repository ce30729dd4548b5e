"""SSE parsing on raw bytes (comments, multi-line data, ids, CR/LF/CRLF, split chunks) and back-off."""
import pytest
from hypothesis import given, settings, strategies as st

import screen.events as events_module
from screen.events import Backoff, Event, SSEParser

STREAM = (b": connected\n\n"
          b"id: 41\nevent: feed\ndata: {\"version\": 41}\n\n"
          b": heartbeat\n\n"
          b"event: command\ndata: {\"name\": \"identify\",\ndata:  \"seconds\": 10}\n\n"
          b"id: 42\nevent: feed\ndata: {\"version\": 42}\n\n")
EXPECTED = [Event("feed", '{"version": 41}', "41"),
            Event("command", '{"name": "identify",\n "seconds": 10}', "41"),
            Event("feed", '{"version": 42}', "42")]


def parse(*chunks):
    parser = SSEParser()
    out = []
    for chunk in chunks:
        out.extend(parser.feed(chunk))
    return parser, out


def test_exported_surface():
    assert set(events_module.__all__) == {"Backoff", "Event", "SSEParser"}


def test_stream_with_comments_ids_and_multiline_data():
    parser, out = parse(STREAM)
    assert out == EXPECTED
    assert parser.last_event_id == "42"


@pytest.mark.parametrize("newline", [b"\r\n", b"\r", b"\n"])
def test_every_line_ending(newline):
    assert parse(STREAM.replace(b"\n", newline))[1] == EXPECTED


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, len(STREAM.replace(b"\n", b"\r\n"))), max_size=12),
       st.sampled_from([b"\r\n", b"\r", b"\n"]))
def test_any_chunking_gives_the_same_events(cuts, newline):
    raw = STREAM.replace(b"\n", newline)
    cuts = sorted(set(c for c in cuts if c <= len(raw)))
    chunks = [raw[a:b] for a, b in zip([0] + cuts, cuts + [len(raw)])]
    assert parse(*chunks)[1] == EXPECTED


def test_crlf_split_between_chunks_is_one_line_end():
    _, out = parse(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n")
    assert out == [Event("message", "a\nb", None)]


def test_utf8_split_inside_a_character():
    raw = "event: feed\ndata: 价格\n\n".encode("utf-8")
    cut = raw.index("格".encode("utf-8")) + 1
    assert parse(raw[:cut], raw[cut:])[1] == [Event("feed", "价格", None)]


def test_unfinished_event_is_not_dispatched():
    parser, out = parse(b"id: 9\nevent: feed\ndata: {}\n")
    assert out == [] and parser.last_event_id is None


def test_field_rules():
    _, out = parse(b"\xef\xbb\xbfdata\n\n"            # BOM skipped; bare field name = empty value
                   b"data:no-space\n\n"
                   b"data:  two spaces\n\n"
                   b"unknown: x\ndata: y\n\n"
                   b"event: only-event\n\n"            # no data: nothing dispatched, type reset
                   b"data: z\n\n")
    assert [(e.type, e.data) for e in out] == [("message", ""), ("message", "no-space"),
                                               ("message", " two spaces"), ("message", "y"),
                                               ("message", "z")]


def test_id_rules_and_retry():
    parser, out = parse(b"id: 5\n\n"                    # id without data still moves last id
                        b"data: a\n\n"
                        b"id: bad\0id\ndata: b\n\n"      # NUL: ignored
                        b"id\ndata: c\n\n"               # empty id resets
                        b"retry: 2500\nretry: soon\n\n")
    assert [(e.data, e.id) for e in out] == [("a", "5"), ("b", "5"), ("c", "")]
    assert parser.retry_ms == 2500


def test_last_event_id_carries_into_the_next_connection():
    parser = SSEParser(last_event_id="41")
    assert parser.feed(b"event: feed\ndata: {}\n\n") == [Event("feed", "{}", "41")]


# ---- back-off ----------------------------------------------------------------------------------
def test_backoff_doubles_to_sixty_seconds_without_jitter():
    backoff = Backoff(rand=lambda: 0.0)
    assert [backoff.next() for _ in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_backoff_jitter_is_at_most_a_quarter_on_top():
    backoff = Backoff(rand=lambda: 0.999999)
    delays = [backoff.next() for _ in range(8)]
    for delay, base in zip(delays, [1, 2, 4, 8, 16, 32, 60, 60]):
        assert base < delay < base * 1.25


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=40))
def test_backoff_bounds_for_any_random_values(values):
    rands = iter(values)
    backoff = Backoff(rand=lambda: next(rands))
    for n in range(len(values)):
        base = min(60, 2 ** n)
        assert base <= backoff.next() <= base * 1.25


def test_backoff_reset():
    backoff = Backoff(rand=lambda: 0.0)
    backoff.next(), backoff.next(), backoff.next()
    backoff.reset()
    assert backoff.next() == 1
