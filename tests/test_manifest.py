"""Feed manifest: canonical JSON, Ed25519 sign/verify (never raising), ETag, windows, media refs."""
import base64
import copy
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import assume, given, settings, strategies as st

import content.manifest as manifest_module
from content.manifest import (canonical_json, etag_for, generate_keypair, is_sha256, media_of,
                              media_sizes, parse_time, sign_manifest, verify_device, verify_manifest,
                              verify_shared, visible_items)

PRIVATE, PUBLIC = generate_keypair()
OTHER_PRIVATE, OTHER_PUBLIC = generate_keypair()
CST = timezone(timedelta(hours=8))
SHA_A, SHA_B, SHA_C = "a" * 64, "b" * 64, "c" * 64


def sample():
    return {
        "version": 7, "server_time": "2025-03-01T09:00:00+08:00", "device": {"name": "门诊大厅"},
        "catalog": [{"id": "prices", "name": "医疗服务价格"}],
        "items": [{"id": 1, "revision": 2, "category": "prices", "title": "CT 检查价格",
                   "body": "**CT** 300 元", "media": [{"sha256": SHA_A, "type": "image/png",
                                                      "w": 10, "h": 10, "bytes": 5}],
                   "window": {"start": "2025-03-01T00:00:00+08:00", "end": None},
                   "feedback_url": "https://h/f/S1?item=1"}],
        "playlist": [], "ticker": ["欢迎"], "alert": None,
    }


def test_exported_surface():
    assert set(manifest_module.__all__) == {
        "branding_logo", "canonical_json", "device_signing_input", "etag_for", "feed_signing_input", "generate_keypair",
        "is_sha256", "media_of", "media_sizes", "parse_time", "scope_of", "sign_manifest", "verify_device",
        "verify_manifest", "verify_shared", "visible_items"}
    assert all(hasattr(manifest_module, name) for name in manifest_module.__all__)


def test_canonical_json_is_sorted_compact_utf8_and_keeps_chinese():
    out = canonical_json({"b": 1, "a": {"d": [1, 2], "c": "价格 表"}})
    assert out == '{"a":{"c":"价格 表","d":[1,2]},"b":1}'.encode("utf-8")
    assert "价格".encode("utf-8") in out and b"\\u" not in out


def test_keypair_shapes():
    assert PRIVATE.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert len(base64.b64decode(PUBLIC, validate=True)) == 32
    assert generate_keypair()[1] != PUBLIC


def test_round_trip_survives_http_transport_and_does_not_mutate_input():
    original = sample()
    signed = sign_manifest(original, PRIVATE)
    assert original == sample() and "signature" not in original
    assert len(base64.b64decode(signed["signature"])) == 64
    received = json.loads(json.dumps(signed))  # as sent over HTTP (escaped Chinese), then parsed
    assert verify_manifest(received, PUBLIC)
    assert received["items"][0]["title"] == "CT 检查价格"


def test_resigning_ignores_an_old_signature():
    once = sign_manifest(sample(), PRIVATE)
    assert sign_manifest(once, PRIVATE) == once


def test_wrong_key_fails():
    assert not verify_manifest(sign_manifest(sample(), OTHER_PRIVATE), PUBLIC)


def test_changed_chinese_text_fails():
    signed = sign_manifest(sample(), PRIVATE)
    signed["items"][0]["title"] = "CT 检查价格 "
    assert not verify_manifest(signed, PUBLIC)


def test_sign_refuses_a_non_ed25519_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(ValueError):
        sign_manifest(sample(), pem)


GOOD = sign_manifest(sample(), PRIVATE)
BAD_SIGNATURES = [None, 123, "", "not base64!!", base64.b64encode(b"x" * 63).decode(),
                  base64.b64encode(bytes(64)).decode(), ["a"], GOOD["signature"] + "AA",
                  GOOD["signature"][:-4], " " + GOOD["signature"], "签名"]


@pytest.mark.parametrize("signature", BAD_SIGNATURES, ids=[f"bad{i}" for i in range(len(BAD_SIGNATURES))])
def test_malformed_signatures_are_false(signature):
    assert verify_manifest({**GOOD, "signature": signature}, PUBLIC) is False


def test_missing_signature_is_false():
    assert verify_manifest(sample(), PUBLIC) is False


@pytest.mark.parametrize("key", [None, "", "abc", 123, base64.b64encode(bytes(31)).decode(),
                                 base64.b64encode(bytes(33)).decode(), "公钥", PUBLIC + "="],
                         ids=lambda key: "public+=" if key == PUBLIC + "=" else None)
def test_malformed_keys_are_false(key):
    assert verify_manifest(GOOD, key) is False


@pytest.mark.parametrize("manifest", [None, [], "text", 5, {**GOOD, "x": {1, 2}},
                                      {**GOOD, 1: "int key beside str keys"}])
def test_non_manifests_are_false(manifest):
    assert verify_manifest(manifest, PUBLIC) is False


# ---- property: any change anywhere breaks the signature ---------------------------------------
scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
           | st.text(alphabet=st.characters(codec="utf-8"), max_size=10))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=15)
manifests = st.dictionaries(st.text(max_size=8).filter(lambda k: k not in ("signature", "device_signature")),
                            json_values, min_size=1, max_size=6)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, path + (i,))


def _at(node, path):
    for step in path:
        node = node[step]
    return node


@settings(max_examples=150, deadline=None)
@given(manifests, st.data())
def test_any_change_to_any_field_fails_verification(manifest, data):
    signed = sign_manifest(manifest, PRIVATE)
    assert verify_manifest(json.loads(json.dumps(signed)), PUBLIC)
    signatures = {k: signed[k] for k in ("signature", "device_signature") if k in signed}
    original = {k: v for k, v in signed.items() if k not in signatures}
    body = copy.deepcopy(original)
    path = data.draw(st.sampled_from(list(_paths(body))))
    target = _at(body, path)
    change = data.draw(st.sampled_from(["replace", "add", "remove"]))
    if change == "replace" and path:
        _at(body, path[:-1])[path[-1]] = data.draw(json_values)
    elif change == "add" and isinstance(target, dict):
        target[data.draw(st.text(max_size=6).filter(lambda k: k not in signatures))] = data.draw(json_values)
    elif change == "add" and isinstance(target, list):
        target.insert(data.draw(st.integers(0, len(target))), data.draw(json_values))
    elif change == "remove" and isinstance(target, (dict, list)) and target:
        key = data.draw(st.sampled_from(list(target.keys()) if isinstance(target, dict)
                                        else list(range(len(target)))))
        del target[key]
    assume(canonical_json(body) != canonical_json(original))
    assert not verify_manifest({**body, **signatures}, PUBLIC)


# ---- the device part (protocol version 2: one signature per content, one per device block) ----
def screen_manifest(name="门诊大厅", audiences=("public",), unit="H001", device_id="dev-1"):
    return {"protocol": 2, "version": 3, "item_pages": [], "catalog_blob": {"sha256": SHA_A, "bytes": 2},
            "device": {"device_id": device_id, "name": name, "audiences": list(audiences), "groups": [],
                       "screen": {"w": 1080, "h": 1920}, "unit": {"code": unit, "name": "第一人民医院"}}}


def test_shared_part_and_device_block_are_signed_apart():
    signed = sign_manifest(screen_manifest(), PRIVATE)
    assert signed["scope"] == {"unit": "H001", "audiences": ["public"], "groups": [], "screen": {"w": 1080, "h": 1920}}
    assert verify_shared(signed, PUBLIC) and verify_device(signed, PUBLIC) and verify_manifest(signed, PUBLIC)
    other = sign_manifest(screen_manifest(name="住院部", device_id="dev-2"), PRIVATE)
    assert other["signature"] == signed["signature"]                  # one signature for both screens
    assert other["device_signature"] != signed["device_signature"]
    renamed = {**signed, "device": {**signed["device"], "name": "改过的"}}
    assert verify_shared(renamed, PUBLIC) and not verify_manifest(renamed, PUBLIC)
    assert not verify_manifest({k: v for k, v in signed.items() if k != "device_signature"}, PUBLIC)
    swapped = {**signed, "signature": signed["device_signature"], "device_signature": signed["signature"]}
    assert not verify_manifest(swapped, PUBLIC)                       # each signature has its own context


def test_another_kind_of_screens_content_is_refused():
    """A staff screen's (legitimately signed) shared part with a public screen's signed device
    block does not verify: the scope inside the signed part is not the device's own."""
    public = sign_manifest(screen_manifest(audiences=("public",)), PRIVATE)
    staff = sign_manifest(screen_manifest(audiences=("staff",)), PRIVATE)
    mixed = {**staff, "device": public["device"], "device_signature": public["device_signature"]}
    assert verify_shared(mixed, PUBLIC) and not verify_device(mixed, PUBLIC)
    other_unit = sign_manifest(screen_manifest(unit="H002"), PRIVATE)
    assert not verify_manifest({**other_unit, "device": public["device"],
                                "device_signature": public["device_signature"]}, PUBLIC)
    assert not verify_manifest({**public, "scope": staff["scope"]}, PUBLIC)


@settings(max_examples=50, deadline=None)
@given(manifests, st.integers(0, 63), st.integers(0, 7))
def test_any_flipped_signature_bit_fails(manifest, byte, bit):
    signed = sign_manifest(manifest, PRIVATE)
    raw = bytearray(base64.b64decode(signed["signature"]))
    raw[byte] ^= 1 << bit
    assert not verify_manifest({**signed, "signature": base64.b64encode(bytes(raw)).decode()}, PUBLIC)


# ---- ETag --------------------------------------------------------------------------------------
def test_etag_is_quoted_strong_and_ignores_signature_server_time_and_version():
    tag = etag_for(GOOD)
    assert tag.startswith('"') and tag.endswith('"') and len(tag) == 34
    assert not tag.startswith('W/')
    assert etag_for({**GOOD, "server_time": "2030-01-01T00:00:00+08:00"}) == tag
    assert etag_for({k: v for k, v in GOOD.items() if k not in ("signature", "device_signature")}) == tag
    assert etag_for({**GOOD, "version": 8}) == tag      # same content at a later version: still 304
    assert etag_for({**GOOD, "items": []}) != tag


# ---- display windows --------------------------------------------------------------------------
def item(start=None, end=None, **extra):
    return {"id": extra.pop("id", 1), "window": {"start": start, "end": end}, **extra}


NOW = datetime(2025, 3, 10, 12, 0, tzinfo=CST)


@pytest.mark.parametrize("window_item, shown", [
    (item(), True),
    ({"id": 1}, True),
    ({"id": 1, "window": None}, True),
    (item(start="2025-03-10T12:00:00+08:00"), True),               # start is inclusive
    (item(start="2025-03-10T12:00:01+08:00"), False),
    (item(end="2025-03-10T12:00:00+08:00"), False),                # end is exclusive
    (item(end="2025-03-10T04:00:01Z"), True),                      # same instant + 1 s, in UTC
    (item(end="2025-03-10T04:00:00+00:00"), False),
    (item(start="2025-03-01T00:00:00+08:00", end="2025-03-11T00:00:00+08:00"), True),
    (item(start="", end=""), True),
    (item(end="2025-03-11T00:00:00"), False),                      # naive: instant unknown
    (item(end="next week"), False),
    (item(end=20250311), False),
    ({"id": 1, "window": "always"}, False),
])
def test_visible_items_window(window_item, shown):
    assert visible_items({"items": [window_item]}, NOW) == ([window_item] if shown else [])


def test_visible_items_keeps_order_skips_junk_and_expires_offline():
    items = [item(id=1), "junk", item(id=2, end="2025-03-10T13:00:00+08:00"), item(id=3)]
    assert [i["id"] for i in visible_items({"items": items}, NOW)] == [1, 2, 3]
    later = NOW + timedelta(hours=1)
    assert [i["id"] for i in visible_items({"items": items}, later)] == [1, 3]
    assert visible_items({}, NOW) == [] and visible_items({"items": "x"}, NOW) == []


def test_visible_items_needs_an_aware_now():
    with pytest.raises(ValueError):
        visible_items({"items": []}, datetime(2025, 3, 10))


def test_parse_time():
    assert parse_time("2025-03-10T04:00:00Z") == NOW
    assert parse_time(None) is None and parse_time("") is None
    for bad in ["2025-03-10T04:00:00", "soon", 5]:
        with pytest.raises(ValueError):
            parse_time(bad)


# ---- media references -------------------------------------------------------------------------
def test_media_of_collects_items_playlist_and_alert():
    manifest = {"items": [{"media": [{"sha256": SHA_A, "bytes": 5}]}, {"media": []}, {}],
                "playlist": [{"item": 1, "media": [SHA_B]}, "junk"],
                "alert": {"text": "停诊", "media": [{"sha256": SHA_C, "bytes": 9}, {"type": "x"}]}}
    assert media_of(manifest) == {SHA_A, SHA_B, SHA_C}
    assert media_sizes(manifest) == {SHA_A: 5, SHA_B: None, SHA_C: 9}
    assert media_of({"items": [], "alert": None}) == set()


def test_media_sizes_merges_and_rejects_conflicts():
    assert media_sizes({"items": [{"media": [SHA_A]}, {"media": [{"sha256": SHA_A, "bytes": 3}]}]}) \
        == {SHA_A: 3}
    with pytest.raises(ValueError):
        media_sizes({"items": [{"media": [{"sha256": SHA_A, "bytes": 3}, {"sha256": SHA_A, "bytes": 4}]}]})
    with pytest.raises(ValueError):
        media_sizes({"items": [{"media": [{"sha256": SHA_A, "bytes": -1}]}]})


@pytest.mark.parametrize("name, ok", [(SHA_A, True), ("A" * 64, False), ("a" * 63, False),
                                      ("../" + "a" * 61, False), (None, False), ("a" * 64 + "\n", False)])
def test_is_sha256(name, ok):
    assert is_sha256(name) is ok
