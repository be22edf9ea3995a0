"""Photos of pupil work: only with the pupil's consent recorded, type checked by content (Pillow),
size-limited, re-encoded so EXIF (GPS, camera, time) is gone, stored under a random name in
<instance>/uploads/photos, and served only to members of the group who have signed its protocol."""

from __future__ import annotations

import io
import secrets
import threading
import warnings
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import DomainError
from ..filemodes import private_folder, write_private
from ..extensions import db
from ..models import CasePupil, Photo, PlanStage, ResearchLesson, User
from .rules import require_recorder

# Pillow format -> (stored extension, content type). Anything else is refused.
ALLOWED = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
MAX_PIXELS = 80_000_000  # from the header: a 64-megapixel phone photo is scaled down; a bomb is refused
LONGEST_SIDE = 3000
# At most this many bytes of pixels per decode (a JPEG counts at the scale draft mode decodes it at):
# 16 megapixels of RGB or RGBA, 64 of greyscale. A PNG or WebP beyond it is refused from its header.
DECODE_BUDGET = 64 * 1024 * 1024
# Decoding is the costly step: at most this many at once per process, so four large photos sent
# together cannot add four budgets; a photo that waits longer than DECODE_WAIT_SECONDS is answered 503.
CONCURRENT_DECODES = 2
DECODE_WAIT_SECONDS = 5.0
_DECODES = threading.BoundedSemaphore(CONCURRENT_DECODES)


def photo_folder(instance_path: str) -> Path:
    return private_folder(Path(instance_path) / "uploads" / "photos")


def store_photo(user: User, lesson: ResearchLesson, pupil: CasePupil, stream: BinaryIO, instance_path: str,
                max_bytes: int, stage: PlanStage | None = None, caption: str = "") -> Photo:
    require_recorder(user, lesson)
    if pupil.cycle_id != lesson.cycle_id:
        raise DomainError("That pupil is not a case pupil of this cycle.", "pupil_id")
    if not pupil.photo_consent:
        raise DomainError(f"No consent for photos is recorded for {pupil.label}: no photo can be kept. "
                          "Write what you saw in a note instead.", "photo")
    if stage is not None and stage.lesson_id != lesson.id:
        raise DomainError("That stage is not part of this lesson's plan.", "stage_id")
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PhotoRefused(f"The photo is larger than {max_bytes // (1024 * 1024)} MB. "
                           "Take it at a lower resolution and try again.", 413)
    if not data:
        raise DomainError("Choose a photo to upload.", "photo")
    clean, fmt = _reencode(data)
    extension, content_type = ALLOWED[fmt]
    name = f"{secrets.token_urlsafe(24)}.{extension}"
    path = photo_folder(instance_path) / name
    write_private(path, clean)
    photo = Photo(lesson_id=lesson.id, pupil_id=pupil.id, stage_id=stage.id if stage else None,
                  uploaded_by_id=user.id, stored_name=name, content_type=content_type, size=len(clean),
                  caption=" ".join((caption or "").split())[:200])
    db.session.add(photo)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return photo


class PhotoRefused(DomainError):
    """An upload refused for what the file is; `status` is the HTTP status the page answers with."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message, "photo")
        self.status = status


def _bytes_per_pixel(mode: str) -> int:
    """What Pillow holds per pixel in memory: one byte for 1, L and P, two for 16-bit, else four (RGB too)."""
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def _reencode(data: bytes) -> tuple[bytes, str]:
    """The image drawn again into a new file of the same type: only pixels survive, no metadata (no EXIF,
    no comment, no ICC profile, no text chunks). What decoding will cost is worked out from the header
    first; a JPEG is decoded at a reduced scale (draft mode) when it is to be scaled down anyway."""
    refused = PhotoRefused("That file is not a photo lsweb accepts: upload a JPEG, PNG or WebP image.")
    flood = PhotoRefused("That image has too many pixels for the server to open: take it at a lower resolution "
                         "(or save it as JPEG) and try again.", 413)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:  # reads the header only
                fmt = probe.format
                if fmt not in ALLOWED:
                    raise refused
                if probe.width * probe.height > MAX_PIXELS:
                    raise flood
                probe.verify()
            if not _DECODES.acquire(timeout=DECODE_WAIT_SECONDS):
                raise PhotoRefused("The server is busy with other photos just now: try again in a minute "
                                   "(nothing was saved).", 503)
            try:
                return _decode_and_save(data, fmt, flood)
            finally:
                _DECODES.release()
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError):
        raise flood from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise refused from None


def _decode_and_save(data: bytes, fmt: str, flood: PhotoRefused) -> tuple[bytes, str]:
    with Image.open(io.BytesIO(data)) as image:
        if fmt == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale when the photo is scaled down anyway
            scale = LONGEST_SIDE / max(image.size)
            if scale < 1:
                image.draft(image.mode, (max(1, int(image.width * scale)), max(1, int(image.height * scale))))
        if image.width * image.height * _bytes_per_pixel(image.mode) > DECODE_BUDGET:
            raise flood
        image.load()
        if max(image.size) > LONGEST_SIDE:
            image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))  # smaller first: the steps after copy less
        ImageOps.exif_transpose(image, in_place=True)  # keep the way up the camera meant, then drop EXIF
    transparency = image.info.get("transparency")
    image.info = {} if transparency is None or fmt == "JPEG" else {"transparency": transparency}
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif fmt in ("PNG", "WEBP") and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    options = {"JPEG": {"quality": 85}, "PNG": {"optimize": True}, "WEBP": {"quality": 85}}[fmt]
    # No exif=, icc_profile=, comment= or pnginfo=, and nothing left in .info: no metadata is written.
    image.save(out, format=fmt, **options)
    return out.getvalue(), fmt


def shown():
    """The condition a photo must meet to be served or listed: its pupil's photo consent holds. The photos
    of a pupil whose consent was withdrawn are hidden at once (and purged after the grace period)."""
    return Photo.pupil_id.in_(db.select(CasePupil.id).where(CasePupil.photo_consent.is_(True)))


def photos_of(lesson: ResearchLesson) -> list[Photo]:
    return list(db.session.scalars(db.select(Photo).where(Photo.lesson_id == lesson.id, shown())
                                   .order_by(Photo.id)))


def is_shown(photo: Photo) -> bool:
    return bool(photo.pupil and photo.pupil.photo_consent)


def photo_path(photo: Photo, instance_path: str) -> Path:
    return photo_folder(instance_path) / photo.stored_name
