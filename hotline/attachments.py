"""Photos sent with a web message: checked by their bytes, stored under random names outside the web root."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

# What a phone sends: JPEG, PNG, GIF, WebP and HEIC/HEIF. The browser's claimed type is never trusted.
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis")


def sniff_image(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an image recognised by its first bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif", "gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "image/heic", "heic"
    return None


@dataclass
class Photo:
    data: bytes
    content_type: str
    ext: str
    original_name: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def clean_name(name: str | None) -> str | None:
    if not name:
        return None
    base = os.path.basename(name.replace("\\", "/"))
    base = re.sub(r"[^\w.\-\u4e00-\u9fff]", "_", base)[:120]
    return base or None


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def store(photo: Photo) -> str:
    """Write the photo under a random key (<2 hex>/<random>.<ext>); returns the key. Never overwrites."""
    key = f"{secrets.token_hex(1)}/{secrets.token_urlsafe(24)}.{photo.ext}"
    path = upload_dir() / key
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "wb") as fh:
        fh.write(photo.data)
    return key


def remove(keys: list[str]) -> None:
    for key in keys:
        try:
            (upload_dir() / key).unlink()
        except FileNotFoundError:
            pass


def path_of(key: str) -> Path:
    """The file of a stored key; refuses anything that would leave the upload directory."""
    root = upload_dir().resolve()
    path = (root / key).resolve()
    if root not in path.parents:
        raise ValueError("bad storage key")
    return path
