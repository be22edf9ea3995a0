"""Photos of pupil work: only with the pupil's consent recorded, type checked by content (Pillow),
size-limited, re-encoded so EXIF (GPS, camera, time) is gone, stored under a random name in
<instance>/uploads/photos, and served only to members of the group who have signed its protocol."""

from __future__ import annotations

import io
import secrets
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
MAX_PIXELS = 40_000_000  # a 50-megapixel phone photo is scaled down; a decompression bomb is refused
LONGEST_SIDE = 3000


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
        raise DomainError(f"The photo is larger than {max_bytes // (1024 * 1024)} MB. "
                          "Take it at a lower resolution and try again.", "photo")
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


def _reencode(data: bytes) -> tuple[bytes, str]:
    """The image drawn again into a new file of the same type: only pixels survive, no metadata."""
    refused = DomainError("That file is not a photo lsweb accepts: upload a JPEG, PNG or WebP image.", "photo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                if fmt not in ALLOWED:
                    raise refused
                if probe.width * probe.height > MAX_PIXELS:
                    raise DomainError("That image has too many pixels: take it at a lower resolution.", "photo")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image = ImageOps.exif_transpose(image)  # keep the way up the camera meant, then drop EXIF
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise refused from None
    if max(image.size) > LONGEST_SIDE:
        image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif fmt in ("PNG", "WEBP") and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    options = {"JPEG": {"quality": 85}, "PNG": {"optimize": True}, "WEBP": {"quality": 85}}[fmt]
    image.save(out, format=fmt, **options)  # no exif= and no pnginfo=: no metadata is written
    return out.getvalue(), fmt


def photos_of(lesson: ResearchLesson) -> list[Photo]:
    return list(db.session.scalars(db.select(Photo).where(Photo.lesson_id == lesson.id).order_by(Photo.id)))


def photo_path(photo: Photo, instance_path: str) -> Path:
    return photo_folder(instance_path) / photo.stored_name
