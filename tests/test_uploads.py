"""Tables and images uploaded to a draft: accepted encodings, and every bad file refused cleanly."""
import hashlib
import io

import pytest
from PIL import Image


def png_bytes(w=40, h=30, color=(200, 30, 30), fmt="PNG", exif=None):
    out = io.BytesIO()
    img = Image.new("RGB", (w, h), color)
    if exif is not None:
        img.save(out, fmt, exif=exif)
    else:
        img.save(out, fmt)
    return out.getvalue()


def put_csv(api, item, data: bytes, user="alice"):
    return api.call("PUT", f"/items/{item['id']}/table?version={item['version']}", user,
                    data={"file": (io.BytesIO(data), "prices.csv")}, content_type="multipart/form-data")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_or_gbk(api, encoding):
    item = api.create()
    text = "项目名称,价格\n血常规,20.00\nCT检查,230.00\n"
    resp = put_csv(api, item, text.encode(encoding))
    assert resp.status_code == 200, resp.get_json()
    table = resp.get_json()["table"]
    assert table["columns"] == ["项目名称", "价格"]
    assert table["rows"][1] == ["CT检查", "230.00"]


@pytest.mark.parametrize("data,detail", [
    (b"name,price\nx,1,extra\n", "列"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00binary", "文本"),
    (b"only-header\n", "至少"),
    ("名称\n".encode("utf-16"), ""),
    (b"\xff\xfe\xfa\xfb\xfc bad bytes", "编码"),
])
def test_bad_csv_changes_nothing(api, data, detail):
    item = api.create()
    resp = put_csv(api, item, data)
    assert resp.status_code == 422
    assert "table" in resp.get_json()["fields"] and detail in resp.get_json()["fields"]["table"]
    after = api.call("GET", f"/items/{item['id']}", "alice").get_json()
    assert after["table"] is None and after["version"] == item["version"]


def test_too_many_rows_refused(api, app):
    app.config["MAX_TABLE_ROWS"] = 10
    item = api.create()
    data = ("a,b\n" + "".join(f"{i},{i}\n" for i in range(11))).encode()
    assert put_csv(api, item, data).status_code == 422


def post_image(api, item, data: bytes, name="a.png"):
    return api.call("POST", f"/items/{item['id']}/images", "alice",
                    data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_image_is_stored_without_metadata_and_served_to_staff_only(api, client, app):
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"
    exif[0x0112] = 6  # rotate 90°: width and height swap after exif_transpose
    item = api.create()
    resp = post_image(api, item, png_bytes(40, 30, fmt="JPEG", exif=exif.tobytes()), "photo.jpg")
    assert resp.status_code == 201, resp.get_json()
    [media] = resp.get_json()["media"]
    assert (media["w"], media["h"]) == (30, 40) and media["type"] == "image/jpeg"
    assert client.get(f"/media/{media['sha256']}").status_code == 401
    got = client.get(f"/media/{media['sha256']}", headers={"Authorization": f"Bearer {api.token('bob')}"})
    assert got.status_code == 200
    assert b"SecretCameraMaker" not in got.data
    assert "immutable" in got.headers["Cache-Control"]

    assert hashlib.sha256(got.data).hexdigest() == media["sha256"]
    other = client.get(f"/media/{media['sha256']}", headers={"Authorization": f"Bearer {api.token('zed')}"})
    assert other.status_code == 404


@pytest.mark.parametrize("data", [b"not an image at all", png_bytes()[:60], b""])
def test_bad_image_refused(api, data):
    item = api.create()
    resp = post_image(api, item, data)
    assert resp.status_code == 422 and resp.get_json()["fields"]["image"]
    assert api.call("GET", f"/items/{item['id']}", "alice").get_json()["media"] == []


def test_decompression_bomb_refused(api):
    out = io.BytesIO()
    Image.new("1", (12000, 12000)).save(out, "PNG")   # 144 Mpx, a few KB on disk
    item = api.create()
    resp = post_image(api, item, out.getvalue())
    assert resp.status_code == 422
    assert "像素" in resp.get_json()["fields"]["image"]


def test_upload_over_the_size_limit_is_413_with_a_message(api, app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    item = api.create()
    resp = post_image(api, item, b"x" * 5000)
    assert resp.status_code == 413 and resp.get_json()["error"]


def make_pdf(pages=2) -> bytes:
    """A real PDF made by Pillow (one page per image)."""
    images = [Image.new("RGB", (595, 842), (255, 255, 255 - 60 * i)) for i in range(pages)]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=72)
    return out.getvalue()


def test_pdf_pages_become_images(api):
    item = api.create()
    resp = post_image(api, item, make_pdf(3), "制度.pdf")
    assert resp.status_code == 201, resp.get_json()
    media = resp.get_json()["media"]
    assert len(media) == 3 and all(m["type"] == "image/png" for m in media)
    assert abs(media[0]["w"] - 1600) <= 1 and media[0]["h"] > media[0]["w"]   # portrait A4, ~1600 px wide


def test_broken_pdf_is_refused(api):
    item = api.create()
    resp = post_image(api, item, b"%PDF-1.7\n garbage that is not a pdf", "bad.pdf")
    assert resp.status_code == 422 and "PDF" in resp.get_json()["fields"]["image"]
