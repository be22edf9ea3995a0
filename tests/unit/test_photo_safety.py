"""Photos cannot leak what was hidden in the file or take the server's memory: a JPEG comment ("Pupil Jamie
Smith 4B"), an ICC profile or a PNG text chunk uploaded does not come back in the served bytes; a tiny
PNG declaring a huge image is refused (413) from its header, without decoding; a large phone photo is
decoded at a reduced scale; at most two photos are decoded at once per process (the next waits, then is
told the server is busy). Memory is measured in a fresh Python process (its peak resident size, Linux)."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from lsweb.extensions import db
from lsweb.lessonday import uploads
from lsweb.models import Photo

from ..lessonday_setup import lesson_day

MB = 1024 * 1024
SECRET = b"Pupil Jamie Smith 4B"
REPO = Path(__file__).resolve().parents[2]


def _icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg_with_comment_and_icc() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="JPEG", comment=SECRET, icc_profile=_icc())
    return out.getvalue()


def png_with_text_and_icc() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRET.decode())
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 30, 200)).save(out, format="PNG", pnginfo=info, icc_profile=_icc())
    return out.getvalue()


def pixel_flood_png(width: int = 6000, height: int = 6600) -> bytes:
    """A PNG of a few hundred KB whose header declares width x height RGBA pixels (just under the old
    40-megapixel limit): made row by row, never held as an image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    packer = zlib.compressobj(9)
    row = b"\0" * (1 + width * 4)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


@pytest.fixture
def day(factories):
    day = lesson_day(factories)
    day.pupils[0].photo_consent = True
    db.session.commit()
    return day


def _upload(client, day, data: bytes, name: str):
    return client.post(f"/lessons/{day.lesson.id}/photos", data={
        "pupil_id": str(day.pupils[0].id), "photo": (io.BytesIO(data), name)}, content_type="multipart/form-data")


@pytest.mark.parametrize("make, name", [(jpeg_with_comment_and_icc, "work.jpg"), (png_with_text_and_icc, "work.png")])
def test_a_comment_an_icc_profile_or_a_text_chunk_does_not_come_back(day, client, login, make, name):
    original = make()
    with Image.open(io.BytesIO(original)) as source:  # the upload really carries them
        assert source.info.get("icc_profile") and SECRET in original
    login(day.observer)
    assert _upload(client, day, original, name).status_code == 303
    photo = db.session.scalar(db.select(Photo))
    served = client.get(f"/lessons/{day.lesson.id}/photos/{photo.id}")
    assert served.status_code == 200
    assert SECRET not in served.data and b"Jamie" not in served.data
    assert b"ICC_PROFILE" not in served.data and b"iCCP" not in served.data and b"tEXt" not in served.data
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.size == (64, 48)
        assert not {"icc_profile", "comment", "Comment", "exif"} & set(image.info)


def test_a_pixel_flood_png_is_refused_from_its_header_with_a_clear_message(day, client, login, app):
    flood = pixel_flood_png()
    assert len(flood) < 400 * 1024
    login(day.observer)
    response = _upload(client, day, flood, "tiny.png")
    assert response.status_code == 413
    assert "That image has too many pixels for the server to open" in response.text
    assert db.session.scalar(db.select(db.func.count(Photo.id))) == 0
    assert not list(uploads.photo_folder(app.instance_path).iterdir())


MEASURE = textwrap.dedent("""
    import json, sys, threading
    from lsweb.lessonday import uploads

    def status_mb(key):  # VmHWM: this process's peak resident size (ru_maxrss would count the parent's)
        for line in open("/proc/self/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024

    files = [open(path, "rb").read() for path in sys.argv[2:]]
    outcomes = []

    def one(data):
        try:
            clean, fmt = uploads._reencode(data)
            outcomes.append(["ok", fmt, len(clean)])
        except uploads.PhotoRefused as error:
            outcomes.append(["refused", error.status, error.message])

    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # the peak starts again from the present size
    before = status_mb("VmRSS")
    threads = [threading.Thread(target=one, args=(data,)) for data in files * int(sys.argv[1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"grew_mb": status_mb("VmHWM") - before, "outcomes": outcomes}))
""")


def _measure(tmp_path, files: dict[str, bytes], copies: int = 1) -> dict:
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("measures the peak resident size through Linux's /proc")
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    result = subprocess.run([sys.executable, "-c", MEASURE, str(copies), *paths], capture_output=True, text=True,
                            cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_pixel_flood_costs_the_server_no_memory(tmp_path):
    measured = _measure(tmp_path, {"flood.png": pixel_flood_png()})
    assert measured["outcomes"][0][:2] == ["refused", 413]
    assert measured["grew_mb"] < 20, measured  # decoding it took 160 MB of pixels, 305 MB in all


def test_a_36_megapixel_photo_is_decoded_at_half_scale_within_the_bound(tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (7200, 5000), (120, 160, 200)).save(out, format="JPEG", quality=70)
    measured = _measure(tmp_path, {"phone.jpg": out.getvalue()})
    assert measured["outcomes"][0][:2] == ["ok", "JPEG"]
    assert measured["grew_mb"] < 120, measured  # 3600 x 2500 decoded (36 MB), not 7200 x 5000 (144 MB)


def test_four_large_photos_at_once_are_decoded_two_at_a_time(tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (4000, 4000), (90, 20, 20)).save(out, format="PNG")  # 64 MB of pixels: the budget
    files = {"big.png": out.getvalue()}
    one = _measure(tmp_path, files)
    four = _measure(tmp_path, files, copies=4)
    assert [o[:2] for o in four["outcomes"]] == [["ok", "PNG"]] * 4
    assert four["grew_mb"] < 2.6 * one["grew_mb"], (one, four)  # four at once cost four times as much


def test_a_photo_that_cannot_get_a_decoding_slot_is_told_the_server_is_busy(day, client, login, monkeypatch, app):
    monkeypatch.setattr(uploads, "DECODE_WAIT_SECONDS", 0.2)
    login(day.observer)
    for _ in range(uploads.CONCURRENT_DECODES):  # two other photos are being decoded
        assert uploads._DECODES.acquire(timeout=1)
    try:
        response = _upload(client, day, jpeg_with_comment_and_icc(), "work.jpg")
    finally:
        for _ in range(uploads.CONCURRENT_DECODES):
            uploads._DECODES.release()
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "The server is busy with other photos just now: try again in a minute" in response.text
    assert db.session.scalar(db.select(db.func.count(Photo.id))) == 0
    assert _upload(client, day, jpeg_with_comment_and_icc(), "work.jpg").status_code == 303
