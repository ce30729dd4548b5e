"""The report queue on disk: survives restarts, caps its size, forgets only acknowledged batches."""
import json
import uuid

import pytest

import screen.outbox as outbox_module
from screen.outbox import Outbox


def test_exported_surface():
    assert set(outbox_module.__all__) == {"BATCH_TYPES", "Outbox"}


def test_batches_survive_a_restart_in_order_with_their_ids(tmp_path):
    path = str(tmp_path / "outbox.json")
    box = Outbox(path)
    ids = [box.add("play", [{"n": i}]) for i in range(3)]
    assert all(uuid.UUID(i) for i in ids) and len(set(ids)) == 3
    again = Outbox(path)
    assert [b["id"] for b in again.pending()] == ids
    assert again.pending(2) == [{"id": ids[0], "type": "play", "records": [{"n": 0}]},
                                {"id": ids[1], "type": "play", "records": [{"n": 1}]}]


def test_drop_forgets_only_acknowledged_batches(tmp_path):
    box = Outbox(str(tmp_path / "outbox.json"))
    first = box.add("view", [])
    sent = box.pending()
    late = box.add("rating", [{"score": 4}])                         # queued while sending
    box.drop(b["id"] for b in sent)
    assert [b["id"] for b in Outbox(str(tmp_path / "outbox.json")).pending()] == [late]
    assert first not in [b["id"] for b in box.pending()]


def test_records_are_copied(tmp_path):
    box = Outbox(str(tmp_path / "outbox.json"))
    records = [{"n": 1}]
    box.add("play", records)
    records[0]["n"] = 2
    assert box.pending()[0]["records"] == [{"n": 1}]


def test_the_queue_is_capped_oldest_first(tmp_path):
    box = Outbox(str(tmp_path / "outbox.json"), max_batches=3)
    ids = [box.add("play", [i]) for i in range(5)]
    assert [b["id"] for b in box.pending()] == ids[2:] and box.dropped == 2


@pytest.mark.parametrize("content", [b"{broken", b"{}", json.dumps([{"id": "x", "type": "bad",
                                                                        "records": []}, 5]).encode()])
def test_a_corrupt_file_starts_empty(tmp_path, content):
    (tmp_path / "outbox.json").write_bytes(content)
    assert len(Outbox(str(tmp_path / "outbox.json"))) == 0
