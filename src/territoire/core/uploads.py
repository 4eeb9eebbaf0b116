"""Safe image uploads: check by content, strip every piece of metadata, serve inertly.

Residents attach photos to reports and proposals. A photo is outside input of the worst
kind: a file the platform stores and later hands to other people's browsers. Two
functions cover the whole path:

``sanitise_image(upload)`` (before storage)
    1. reads the upload in bounded chunks and stops as soon as it exceeds
       ``settings.TERRITOIRE["UPLOAD_MAX_BYTES"]`` (default 8 MiB);
    2. recognises the format from the first bytes only (never the file name, never the
       content type the client announced): JPEG, PNG or WebP, nothing else: SVG, HTML,
       GIF, text renamed ``.jpg``... are refused;
    3. walks the file's structure and refuses polyglots: markup (``<script``, ``<svg``,
       ``<html``, ``<?php``...) in a metadata segment (JPEG APPn/COM, PNG and WebP
       non-pixel chunks) or after the end of a JPEG, an archive appended to a JPEG (phones
       append harmless data there: it is tolerated, then dropped), any byte after the end
       of a PNG or WebP, long markup (``<script``, ``<html>``...) anywhere in the file;
    4. refuses images over ``settings.TERRITOIRE["UPLOAD_MAX_PIXELS"]`` (default 40
       million pixels) from the header, before decoding anything (decompression bombs;
       Pillow's own ``DecompressionBombError``/``Warning`` become an ``UploadError`` too);
    5. decodes it fully (``verify()``, then reopen and ``load()``): truncated or corrupt
       files are refused;
    6. applies the EXIF orientation, keeps only the **first frame** of an animated PNG
       or WebP (a report needs a still photo; animation is dropped, not refused, so a
       resident is not turned away for a phone's "live" picture), downscales so that the
       longer side is at most ``settings.TERRITOIRE["UPLOAD_MAX_SIDE"]`` (default 2560
       px; 0 keeps the size), copies the pixels into a fresh image and re-encodes it
       in its own format (JPEG quality 85, greyscale kept; PNG optimised; WebP quality
       85; transparency kept in PNG and WebP) **without any metadata**: no
       EXIF (so no GPS position, camera serial or date), no XMP, no ICC profile, no
       comment, no PNG text chunk. Whatever was hidden in the original is gone, because
       the stored bytes are Pillow's output, not the upload.

    It returns a ``SanitisedImage`` (bytes, content type, extension without a dot,
    size, SHA-256 of the stored bytes) or raises ``UploadError`` with a French message
    saying what is wrong and the limit. Nothing else escapes, whatever the bytes.

``serve_upload(request, content, content_type, filename)`` (when showing it)
    answers with ``Content-Disposition: inline`` and a sanitised ASCII file name,
    ``X-Content-Type-Options: nosniff``, ``Content-Security-Policy: default-src 'none';
    sandbox`` (even opened directly, the file can run nothing), and
    ``Cross-Origin-Resource-Policy: same-origin`` and ``Cache-Control: private,
    max-age=3600`` (callers may override it after the call). Only the three
    image types are served as themselves, and only when the bytes start like one;
    anything else goes out as ``application/octet-stream`` attachment.

Storage: callers keep the bytes under ``MEDIA_ROOT`` (outside ``STATIC_ROOT``, never
served by the web server as a static directory) under a name they generate (e.g. the
hash plus ``extension``), and serve them only through a view that checks access and
calls ``serve_upload``.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from PIL import Image, ImageOps

DEFAULT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_SIDE = 2560
CHUNK_SIZE = 64 * 1024

JPEG_QUALITY = 85
WEBP_QUALITY = 85

# Pillow format name -> (content type, extension)
IMAGE_TYPES: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
SAFE_CONTENT_TYPES = frozenset(content_type for content_type, _ in IMAGE_TYPES.values())

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
# Chunks holding pixels: their compressed bytes are not searched for markup (random data
# would match short patterns now and then); every other chunk is.
_PNG_PIXEL_CHUNKS = frozenset({b"IDAT", b"fdAT"})
_WEBP_PIXEL_CHUNKS = frozenset({b"VP8 ", b"VP8L", b"ALPH", b"ANMF"})

# What makes a file also a web page or a script. Searched in metadata segments and in
# bytes after the end of the image, where photos hold text (EXIF, XMP, comments) but never
# markup. Every tag needs a delimiter after it, so that binary metadata (maker notes, ICC
# profiles, thumbnails) does not match by accident.
_MARKUP = re.compile(
    rb"(?i)<(?:script|svg|html|body|iframe|object|embed|form|meta|link|!doctype|\?php)[\s>/]|javascript:"
)
# An archive appended to an image (the JAR/ZIP polyglot): searched after the end only.
_ARCHIVE = re.compile(rb"PK\x03\x04|PK\x05\x06")
# Markup long enough to be searched in the whole file, pixel data included: the chance
# that compressed pixels spell one of these by accident is negligible (< 1e-5 for 8 MiB).
_MARKUP_ANYWHERE = re.compile(rb"(?i)<(?:script|iframe|!doctype\s|\?php\s|html[\s>]|svg\s+xmlns)")


class UploadError(ValueError):
    """The upload is refused; ``str(error)`` is a French sentence for the resident.

    ``code`` names the reason for programs: ``empty``, ``too_large``, ``not_image``,
    ``hidden_content``, ``too_many_pixels``, ``corrupt``.
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class SanitisedImage:
    content: bytes
    content_type: str
    extension: str  # without the dot: "jpg", "png" or "webp"
    width: int
    height: int
    sha256: str


def _limit(name: str, default: int) -> int:
    value = settings.TERRITOIRE.get(name, default)
    return default if value is None else int(value)


def _megabytes(size: int) -> str:
    """A size as the resident reads it: "8 Mo", "1,5 Mo", "500 Ko"."""
    if size < 1024 * 1024:
        return gettext("%(size)s Ko") % {"size": max(1, round(size / 1024))}
    value = size / (1024 * 1024)
    text = f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}".replace(".", ",")
    return gettext("%(size)s Mo") % {"size": text}


def _not_image() -> UploadError:
    return UploadError(gettext("Ce fichier n'est pas une image JPEG, PNG ou WebP."), code="not_image")


def _corrupt() -> UploadError:
    return UploadError(
        gettext("Cette image est incomplète ou endommagée : elle ne peut pas être lue."), code="corrupt"
    )


def _hidden_content() -> UploadError:
    return UploadError(
        gettext("Ce fichier contient autre chose qu'une image (texte, code ou archive) : il est refusé."),
        code="hidden_content",
    )


def _too_many_pixels(max_pixels: int, width: int | None = None, height: int | None = None) -> UploadError:
    limit = f"{max_pixels / 1_000_000:g}".replace(".", ",")
    if width is not None and height is not None:
        message = gettext(
            "L'image est trop grande (%(width)s × %(height)s pixels) : "
            "la limite est de %(limit)s millions de pixels."
        ) % {"width": width, "height": height, "limit": limit}
    else:
        message = gettext("L'image est trop grande : la limite est de %(limit)s millions de pixels.") % {
            "limit": limit
        }
    return UploadError(message, code="too_many_pixels")


# --------------------------------------------------------------------------- reading


def _chunks(upload: UploadedFile | IO[bytes]) -> Iterator[bytes]:
    if isinstance(upload, UploadedFile):
        yield from upload.chunks(CHUNK_SIZE)
        return
    while True:
        chunk = upload.read(CHUNK_SIZE)
        if not chunk:
            return
        if not isinstance(chunk, bytes | bytearray):
            raise _not_image()
        yield bytes(chunk)


def _read_bounded(upload: UploadedFile | IO[bytes], max_bytes: int) -> bytes:
    too_large = UploadError(
        gettext("La photo dépasse %(limit)s.") % {"limit": _megabytes(max_bytes)}, code="too_large"
    )
    # Django knows the size of a received upload: refuse before reading anything.
    declared = getattr(upload, "size", None) if isinstance(upload, UploadedFile) else None
    if isinstance(declared, int) and declared > max_bytes:
        raise too_large
    buffer = bytearray()
    for chunk in _chunks(upload):
        buffer += chunk
        if len(buffer) > max_bytes:
            raise too_large
    if not buffer:
        raise UploadError(gettext("Le fichier est vide."), code="empty")
    return bytes(buffer)


# --------------------------------------------------------------------------- structure


def _sniff(data: bytes) -> str | None:
    """The format announced by the first bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(_PNG_SIGNATURE):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _jpeg_side_data(data: bytes) -> tuple[list[bytes], bytes]:
    """APPn and COM segments before the first scan; whatever follows the last EOI."""
    segments: list[bytes] = []
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            # Stray bytes between segments: skipped like libjpeg does; the decoder judges.
            position += 1
            continue
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            position += 2
            continue
        if marker == 0xD9:
            break
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            segments.append(data[position + 4 : position + 2 + length])
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        position += 2 + max(length, 2)
    end = data.rfind(b"\xff\xd9")
    # Phones append data after the image (motion photos): tolerated, but searched.
    trailing = data[end + 2 :] if end != -1 else b""
    return segments, trailing


def _png_side_data(data: bytes) -> tuple[list[bytes], bytes]:
    chunks: list[bytes] = []
    position = len(_PNG_SIGNATURE)
    while True:
        if position + 12 > len(data):
            raise _corrupt()
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(data):
            raise _corrupt()
        if kind not in _PNG_PIXEL_CHUNKS:
            chunks.append(data[position + 8 : position + 8 + length])
        position = end
        if kind == b"IEND":
            break
    if position != len(data):
        raise _hidden_content()  # bytes after IEND: the classic PNG polyglot
    return chunks, b""


def _webp_side_data(data: bytes) -> tuple[list[bytes], bytes]:
    riff_size = int.from_bytes(data[4:8], "little")
    if len(data) < 8 + riff_size:
        raise _corrupt()
    if len(data) > 8 + riff_size + (riff_size & 1):
        raise _hidden_content()  # bytes after the RIFF container
    chunks: list[bytes] = []
    position = 12
    while position + 8 <= 8 + riff_size:
        kind = data[position : position + 4]
        length = int.from_bytes(data[position + 4 : position + 8], "little")
        if kind not in _WEBP_PIXEL_CHUNKS:
            chunks.append(data[position + 8 : position + 8 + length])
        position += 8 + length + (length & 1)
    return chunks, b""


def _check_structure(data: bytes, kind: str) -> None:
    walkers = {"JPEG": _jpeg_side_data, "PNG": _png_side_data, "WEBP": _webp_side_data}
    side_data, trailing = walkers[kind](data)
    if (
        any(_MARKUP.search(part) for part in side_data)
        or _MARKUP.search(trailing)
        or _ARCHIVE.search(trailing)
        or _MARKUP_ANYWHERE.search(data)
    ):
        raise _hidden_content()


# --------------------------------------------------------------------------- decoding


def _open(data: bytes, kind: str) -> Image.Image:
    # `formats` keeps every other Pillow plugin (EPS and its Ghostscript, PSD...) away.
    image = Image.open(io.BytesIO(data), formats=[kind])
    if image.format != kind:
        raise _not_image()
    return image


def _decode(data: bytes, kind: str, max_pixels: int, max_side: int) -> Image.Image:
    try:
        with _open(data, kind) as probe:
            width, height = probe.size
            if width < 1 or height < 1:
                raise _corrupt()
            if width * height > max_pixels:
                raise _too_many_pixels(max_pixels, width, height)
            probe.verify()
        image = _open(data, kind)
        if kind == "JPEG" and max_side:
            # Decode at 1/2, 1/4 or 1/8 scale when the result stays above max_side: far
            # less memory and time for a 40 MP photo.
            image.draft(None, (max_side, max_side))
        image.seek(0)  # first frame of an animation
        image.load()
    except UploadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(max_pixels) from exc
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, struct.error...
        raise _corrupt() from exc
    return image


def _output_mode(image: Image.Image, kind: str) -> Image.Image:
    """The image in a mode the output format stores: L, RGB or (PNG, WebP) RGBA."""
    has_alpha = image.mode in {"RGBA", "LA", "PA", "La", "RGBa"} or "transparency" in image.info
    grey = image.mode in {"1", "L", "I", "F"} or image.mode.startswith("I;16")
    mode = "RGBA" if kind != "JPEG" and has_alpha else "L" if grey else "RGB"
    if image.mode == mode:
        return image
    if image.mode.startswith("I;16") or image.mode in {"I", "F"}:
        # 16-bit or float greyscale: scale to 8 bits before converting.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    return image if image.mode == mode else image.convert(mode)


def _fresh_copy(image: Image.Image) -> Image.Image:
    # frombytes builds an image with an empty `info` and no cached EXIF: nothing of the
    # original but its pixels reaches the encoder.
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _encode(image: Image.Image, kind: str) -> bytes:
    output = io.BytesIO()
    if kind == "JPEG":
        image.save(output, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif kind == "PNG":
        image.save(output, "PNG", optimize=True)
    else:
        image.save(output, "WEBP", quality=WEBP_QUALITY, method=4)
    return output.getvalue()


def sanitise_image(
    upload: UploadedFile | IO[bytes], *, max_bytes: int | None = None, max_pixels: int | None = None
) -> SanitisedImage:
    """Check an uploaded photo by its content and return a clean re-encoded copy.

    Raises ``UploadError`` (French message, ``code``) for anything that is not a sound
    JPEG, PNG or WebP within the limits; see the module docstring for every step.
    """
    if max_bytes is None:
        max_bytes = _limit("UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)
    if max_pixels is None:
        max_pixels = _limit("UPLOAD_MAX_PIXELS", DEFAULT_MAX_PIXELS)
    max_side = _limit("UPLOAD_MAX_SIDE", DEFAULT_MAX_SIDE)

    data = _read_bounded(upload, max_bytes)
    kind = _sniff(data)
    if kind is None:
        raise _not_image()
    _check_structure(data, kind)
    image = _decode(data, kind, max_pixels, max_side)
    try:
        image = ImageOps.exif_transpose(image) or image
        image = _output_mode(image, kind)
        if max_side and max(image.size) > max_side:
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        clean = _fresh_copy(image)
        content = _encode(clean, kind)
    except Exception as exc:  # a malformed EXIF block, an exotic mode Pillow cannot convert
        raise _corrupt() from exc
    content_type, extension = IMAGE_TYPES[kind]
    return SanitisedImage(
        content=content,
        content_type=content_type,
        extension=extension,
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(content).hexdigest(),
    )


# --------------------------------------------------------------------------- serving


def safe_filename(filename: str, extension: str | None = None) -> str:
    """An ASCII file name for Content-Disposition: letters, digits, ``-``, ``_``, one dot.

    Accents are folded ("été" -> "ete"), anything else becomes ``_``; the name is cut to
    80 characters; ``extension`` (without the dot), when given, replaces the original one.
    """
    folded = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    folded = folded.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, original_extension = folded.rpartition(".")
    if not dot:
        stem, original_extension = folded, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_-")[:80] or "fichier"
    original_extension = re.sub(r"[^A-Za-z0-9]+", "", original_extension)[:10]
    final_extension = extension if extension is not None else original_extension
    return f"{stem}.{final_extension}" if final_extension else stem


def _read_content(content: bytes | FieldFile) -> bytes:
    if isinstance(content, bytes | bytearray):
        return bytes(content)
    content.open("rb")
    try:
        data: Any = content.read()
    finally:
        content.close()
    return bytes(data)


def serve_upload(
    request: HttpRequest, content: bytes | FieldFile, content_type: str, filename: str
) -> HttpResponse:
    """Answer with a stored upload, inert whatever it holds (see the module docstring)."""
    data = _read_content(content)
    announced = content_type.split(";", 1)[0].strip().lower()
    sniffed = _sniff(data)
    if sniffed is not None and IMAGE_TYPES[sniffed][0] == announced:
        served_type, extension = IMAGE_TYPES[sniffed]
        name = safe_filename(filename, extension)
        disposition = "inline"
    else:
        served_type = "application/octet-stream"
        name = safe_filename(filename)
        disposition = "attachment"
    response = HttpResponse(data, content_type=served_type)
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
