"""Image uploads: content-based checks, limits, metadata stripping, inert serving."""

from __future__ import annotations

import contextlib
import hashlib
import io
import struct
import zipfile
import zlib
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.fields.files import FieldFile, FileField
from django.test import RequestFactory
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, PngImagePlugin

from territoire.core.uploads import (
    SanitisedImage,
    UploadError,
    safe_filename,
    sanitise_image,
    serve_upload,
)

GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (48.0, 51.0, 24.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (2.0, 21.0, 7.0),
}


def exif_with_gps(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "CameraMaker"
    exif[ExifTags.Base.Model] = "SerialModel"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = GPS
    return exif.tobytes()


def encode(image: Image.Image, fmt: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def jpeg(size: tuple[int, int] = (40, 20), **params: Any) -> bytes:
    return encode(Image.new("RGB", size, (200, 30, 30)), "JPEG", **params)


def png(size: tuple[int, int] = (40, 20), mode: str = "RGB", **params: Any) -> bytes:
    return encode(Image.new(mode, size), "PNG", **params)


def webp(size: tuple[int, int] = (40, 20), **params: Any) -> bytes:
    return encode(Image.new("RGB", size, (10, 200, 10)), "WEBP", **params)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def reopen(result: SanitisedImage) -> Image.Image:
    image = Image.open(io.BytesIO(result.content))
    image.load()
    return image


def refused(data: bytes, **kwargs: Any) -> UploadError:
    with pytest.raises(UploadError) as caught:
        sanitise_image(io.BytesIO(data), **kwargs)
    return caught.value


# --------------------------------------------------------------------------- metadata


def test_jpeg_gps_exif_comment_and_icc_are_stripped() -> None:
    original = jpeg(exif=exif_with_gps(), icc_profile=b"ICC-PROFILE" * 20, comment=b"secret comment")
    source = Image.open(io.BytesIO(original))
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture does carry GPS

    result = sanitise_image(io.BytesIO(original))

    image = reopen(result)
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert "exif" not in image.info
    assert "icc_profile" not in image.info
    assert "comment" not in image.info
    applist = image.applist  # type: ignore[attr-defined]
    assert [marker for marker, _ in applist] == ["APP0"]  # JFIF only
    for needle in (b"Exif", b"CameraMaker", b"SerialModel", b"ICC-PROFILE", b"secret comment"):
        assert needle not in result.content


def test_jpeg_xmp_is_stripped() -> None:
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>GPSLatitude 48,51</rdf:RDF></x:xmpmeta>'
    original = jpeg(xmp=xmp)
    assert b"xmpmeta" in original
    result = sanitise_image(io.BytesIO(original))
    assert b"xmpmeta" not in result.content
    assert b"GPSLatitude" not in result.content


def test_exif_orientation_is_applied_before_stripping() -> None:
    # Orientation 6: the camera was turned; the stored image must be upright (20 x 40).
    result = sanitise_image(io.BytesIO(jpeg((40, 20), exif=exif_with_gps(orientation=6))))
    assert (result.width, result.height) == (20, 40)
    assert reopen(result).size == (20, 40)
    assert b"Exif" not in result.content


def test_png_text_chunks_icc_and_exif_are_stripped() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "tEXt secret")
    info.add_text("Author", "zTXt secret", zip=True)
    info.add_itxt("Description", "iTXt secret", lang="fr", tkey="Description")
    original = png(pnginfo=info, icc_profile=b"ICC-PROFILE" * 20, exif=exif_with_gps())
    assert Image.open(io.BytesIO(original)).text  # type: ignore[attr-defined]

    result = sanitise_image(io.BytesIO(original))

    image = reopen(result)
    assert image.format == "PNG"
    assert image.text == {}  # type: ignore[attr-defined]
    assert "icc_profile" not in image.info
    assert "exif" not in image.info
    assert dict(image.getexif()) == {}
    for kind in (b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf"):
        assert kind not in result.content


def test_webp_exif_xmp_and_icc_are_stripped() -> None:
    original = webp(exif=exif_with_gps(), xmp=b"<x:xmpmeta>GPS</x:xmpmeta>", icc_profile=b"ICC" * 30)
    assert b"EXIF" in original
    result = sanitise_image(io.BytesIO(original))
    image = reopen(result)
    assert image.format == "WEBP"
    assert result.content_type == "image/webp"
    assert result.extension == "webp"
    for chunk in (b"EXIF", b"XMP ", b"ICCP", b"xmpmeta"):
        assert chunk not in result.content
    assert dict(image.getexif()) == {}


# --------------------------------------------------------------------------- type from content


@pytest.mark.parametrize(
    ("data", "content_type", "extension"),
    [
        (jpeg(), "image/jpeg", "jpg"),
        (png(), "image/png", "png"),
        (webp(), "image/webp", "webp"),
    ],
)
def test_type_comes_from_the_bytes_not_the_name(data: bytes, content_type: str, extension: str) -> None:
    # The client says "photo.gif, image/gif": ignored.
    upload = SimpleUploadedFile("photo.gif", data, content_type="image/gif")
    result = sanitise_image(upload)
    assert result.content_type == content_type
    assert result.extension == extension
    assert (result.width, result.height) == (40, 20)
    assert len(result.sha256) == 64
    assert result.sha256 == hashlib.sha256(result.content).hexdigest()


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"just some text named photo.jpg",
        b"%PDF-1.4\n",
        b"%!PS-Adobe-3.0 EPSF-3.0\n",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"BM" + b"\x00" * 60,
    ],
)
def test_not_an_allowed_image_is_refused_whatever_its_name(data: bytes) -> None:
    upload = SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg")
    with pytest.raises(UploadError) as caught:
        sanitise_image(upload)
    assert caught.value.code == "not_image"
    assert str(caught.value) == "Ce fichier n'est pas une image JPEG, PNG ou WebP."


def test_real_gif_is_refused() -> None:
    assert refused(encode(Image.new("P", (4, 4)), "GIF")).code == "not_image"


def test_empty_file_is_refused() -> None:
    assert refused(b"").code == "empty"


# --------------------------------------------------------------------------- polyglots


def test_png_with_bytes_after_iend_is_refused() -> None:
    assert refused(png() + b"<html><script>alert(1)</script></html>").code == "hidden_content"
    assert refused(png() + b"\x00").code == "hidden_content"


def test_png_with_markup_in_a_text_chunk_is_refused() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", '<svg/onload="alert(1)">')
    assert refused(png(pnginfo=info)).code == "hidden_content"


def test_png_with_markup_in_a_private_chunk_is_refused() -> None:
    data = png()
    iend = data.rindex(b"\x00\x00\x00\x00IEND")
    forged = data[:iend] + png_chunk(b"prVt", b"<body onload=alert(1)>") + data[iend:]
    assert Image.open(io.BytesIO(forged)).size == (40, 20)  # still a readable PNG
    assert refused(forged).code == "hidden_content"


def test_jpeg_with_markup_in_a_comment_is_refused() -> None:
    assert refused(jpeg(comment=b"<script>alert(document.cookie)</script>")).code == "hidden_content"
    assert refused(jpeg(comment=b"<?php system($_GET['c']); ?>")).code == "hidden_content"


def test_jpeg_with_appended_html_or_archive_is_refused() -> None:
    assert refused(jpeg() + b"<html><body>phish</body></html>").code == "hidden_content"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("Main.class", b"\xca\xfe\xba\xbe")
    assert refused(jpeg() + archive.getvalue()).code == "hidden_content"


def test_jpeg_with_harmless_trailing_bytes_is_accepted_and_cleaned() -> None:
    # Phones append data after the image (motion photos): tolerated, and not stored.
    result = sanitise_image(io.BytesIO(jpeg() + b"\x00\x00ftypmp42 motion photo"))
    assert b"motion photo" not in result.content


def test_webp_with_bytes_after_the_container_is_refused() -> None:
    assert refused(webp() + b"<html></html>").code == "hidden_content"


def test_html_after_a_valid_image_header_is_refused_anywhere() -> None:
    data = jpeg()
    forged = data[:-2] + b"<script>alert(1)</script>" + data[-2:]
    assert refused(forged).code == "hidden_content"


# --------------------------------------------------------------------------- corrupt input


@pytest.mark.parametrize("maker", [jpeg, png, webp])
def test_truncated_images_are_refused(maker: Any) -> None:
    data = maker((64, 64))
    for cut in (len(data) // 2, len(data) - 20, 30):
        assert refused(data[:cut]).code in {"corrupt"}, cut


def test_png_with_a_bad_crc_is_refused() -> None:
    data = bytearray(png())
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF  # a byte of the compressed pixels: the CRC no longer matches
    assert refused(bytes(data)).code == "corrupt"


# --------------------------------------------------------------------------- limits


def test_size_limit_from_the_argument_and_message() -> None:
    data = jpeg((200, 200))
    error = refused(data, max_bytes=len(data) - 1)
    assert error.code == "too_large"
    assert sanitise_image(io.BytesIO(data), max_bytes=len(data)).content_type == "image/jpeg"


def test_size_limit_from_settings_at_call_time(settings: Any) -> None:
    settings.TERRITOIRE = {**settings.TERRITOIRE, "UPLOAD_MAX_BYTES": 8 * 1024 * 1024}
    error = refused(b"\xff\xd8\xff" + b"\x00" * (8 * 1024 * 1024))
    assert error.code == "too_large"
    assert str(error) == "La photo dépasse 8 Mo."
    settings.TERRITOIRE = {**settings.TERRITOIRE, "UPLOAD_MAX_BYTES": 3 * 512 * 1024}
    assert str(refused(b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024))) == "La photo dépasse 1,5 Mo."
    settings.TERRITOIRE = {**settings.TERRITOIRE, "UPLOAD_MAX_BYTES": 500 * 1024}
    assert str(refused(b"\xff\xd8\xff" + b"\x00" * (600 * 1024))) == "La photo dépasse 500 Ko."


class EndlessStream(io.RawIOBase):
    """A stream that never ends and counts what was read from it."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = len(buffer)
        buffer[:size] = b"\xff" * size
        self.served += size
        return size


def test_reading_stops_as_soon_as_the_limit_is_exceeded() -> None:
    stream = EndlessStream()
    with pytest.raises(UploadError) as caught:
        sanitise_image(stream, max_bytes=200_000)  # type: ignore[arg-type]
    assert caught.value.code == "too_large"
    assert stream.served <= 200_000 + 64 * 1024


def test_declared_size_over_the_limit_is_refused_before_reading() -> None:
    class Unreadable(SimpleUploadedFile):
        def chunks(self, chunk_size: int | None = None) -> Any:
            raise AssertionError("must not read")

    upload = Unreadable("big.jpg", jpeg(), content_type="image/jpeg")
    upload.size = 10**9
    with pytest.raises(UploadError) as caught:
        sanitise_image(upload, max_bytes=1000)
    assert caught.value.code == "too_large"


def test_pixel_limit_from_the_argument_and_settings(settings: Any) -> None:
    data = png((100, 100))
    error = refused(data, max_pixels=9_999)
    assert error.code == "too_many_pixels"
    assert "100 × 100" in str(error)
    assert sanitise_image(io.BytesIO(data), max_pixels=10_000).width == 100
    settings.TERRITOIRE = {**settings.TERRITOIRE, "UPLOAD_MAX_PIXELS": 5_000}
    assert refused(data).code == "too_many_pixels"


def bomb_png(width: int, height: int) -> bytes:
    """A few hundred bytes claiming a huge image (a decompression bomb's header)."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    pixels = png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
    return b"\x89PNG\r\n\x1a\n" + header + pixels + png_chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_from_its_header() -> None:
    assert refused(bomb_png(10_000, 10_000)).code == "too_many_pixels"  # 100 MP > 40 MP


def test_pillow_decompression_bomb_error_becomes_upload_error() -> None:
    # Even with our own limit lifted, Pillow's (2 x MAX_IMAGE_PIXELS) becomes an UploadError.
    assert refused(bomb_png(30_000, 30_000), max_pixels=10**12).code == "too_many_pixels"


def test_large_images_are_downscaled(settings: Any) -> None:
    settings.TERRITOIRE = {**settings.TERRITOIRE, "UPLOAD_MAX_SIDE": 100}
    result = sanitise_image(io.BytesIO(jpeg((400, 200))))
    assert (result.width, result.height) == (100, 50)
    result = sanitise_image(io.BytesIO(png((300, 600))))
    assert (result.width, result.height) == (50, 100)
    settings.TERRITOIRE = {**settings.TERRITOIRE, "UPLOAD_MAX_SIDE": 0}
    assert sanitise_image(io.BytesIO(jpeg((400, 200)))).width == 400


# --------------------------------------------------------------------------- frames and modes


def test_animated_png_keeps_its_first_frame_only() -> None:
    frames = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    data = encode(frames[0], "PNG", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(data)).n_frames == 2  # type: ignore[attr-defined]
    image = reopen(sanitise_image(io.BytesIO(data)))
    assert getattr(image, "n_frames", 1) == 1
    assert b"acTL" not in sanitise_image(io.BytesIO(data)).content
    assert image.convert("RGB").getpixel((8, 8)) == (255, 0, 0)


def test_animated_webp_keeps_its_first_frame_only() -> None:
    frames = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    assert Image.open(io.BytesIO(data)).n_frames == 2  # type: ignore[attr-defined]
    result = sanitise_image(io.BytesIO(data))
    image = reopen(result)
    assert getattr(image, "n_frames", 1) == 1
    assert b"ANMF" not in result.content
    red, _green, blue = image.convert("RGB").getpixel((8, 8))  # type: ignore[misc]
    assert red > 200
    assert blue < 50


def test_modes_are_normalised() -> None:
    palette = Image.new("P", (8, 8))
    palette.info["transparency"] = 0
    assert reopen(sanitise_image(io.BytesIO(encode(palette, "PNG")))).mode == "RGBA"
    assert reopen(sanitise_image(io.BytesIO(png(mode="L")))).mode == "L"
    assert reopen(sanitise_image(io.BytesIO(png(mode="LA")))).mode == "RGBA"
    assert reopen(sanitise_image(io.BytesIO(png(mode="I;16")))).mode == "L"
    cmyk = encode(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG")
    assert reopen(sanitise_image(io.BytesIO(cmyk))).mode == "RGB"
    assert reopen(sanitise_image(io.BytesIO(encode(Image.new("L", (8, 8)), "JPEG")))).mode == "L"


# --------------------------------------------------------------------------- robustness


@hypothesis_settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_raise_only_upload_error(data: bytes) -> None:
    with contextlib.suppress(UploadError):
        sanitise_image(io.BytesIO(data))


SEEDS = [jpeg((16, 16)), png((16, 16)), webp((16, 16)), jpeg((16, 16), progressive=True)]


@hypothesis_settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SEEDS),
    st.lists(st.tuples(st.integers(min_value=0, max_value=10_000), st.integers(0, 255)), max_size=8),
    st.one_of(st.none(), st.integers(min_value=0, max_value=10_000)),
    st.binary(max_size=64),
)
def test_mutated_images_raise_only_upload_error(
    seed: bytes, flips: list[tuple[int, int]], cut: int | None, tail: bytes
) -> None:
    data = bytearray(seed)
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    try:
        result = sanitise_image(io.BytesIO(bytes(data) + tail))
    except UploadError:
        return
    assert result.content_type in {"image/jpeg", "image/png", "image/webp"}
    reopen(result)


# --------------------------------------------------------------------------- serving


@pytest.fixture
def request_() -> Any:
    return RequestFactory().get("/photo")


def test_serve_a_safe_image_inline_with_inert_headers(request_: Any) -> None:
    content = sanitise_image(io.BytesIO(png())).content
    response = serve_upload(request_, content, "image/png", 'été "2024"\r\nSet-Cookie: x=1.png')
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="ete_2024_Set-Cookie_x_1.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "max-age" in response["Cache-Control"]
    assert response.content == content


@pytest.mark.parametrize("content_type", ["image/svg+xml", "text/html", "application/pdf", "image/gif", ""])
def test_other_types_are_served_as_attachment(request_: Any, content_type: str) -> None:
    response = serve_upload(request_, b"<svg onload=alert(1)>", content_type, "../../evil.svg")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="evil.svg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_image_type_that_does_not_match_the_bytes_is_an_attachment(request_: Any) -> None:
    response = serve_upload(request_, b"<html><script>alert(1)</script>", "image/jpeg", "photo.jpg")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    response = serve_upload(request_, jpeg(), "image/png", "photo.png")
    assert response["Content-Type"] == "application/octet-stream"


def test_serve_a_field_file_with_the_right_extension(request_: Any, tmp_path: Any) -> None:
    storage = FileSystemStorage(location=tmp_path)
    name = storage.save("abc.jpg", io.BytesIO(jpeg()))
    field = FileField(storage=storage)
    field.name = "photo"
    stored = FieldFile(None, field, name)  # type: ignore[arg-type]
    response = serve_upload(request_, stored, "image/jpeg; charset=binary", "Photo.JPEG")
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'inline; filename="Photo.jpg"'
    assert response.content == jpeg()


@pytest.mark.parametrize(
    ("name", "extension", "expected"),
    [
        ("photo.jpg", None, "photo.jpg"),
        ("Rue de l'Église.PNG", "png", "Rue_de_l_Eglise.png"),
        ("C:\\Users\\x\\secret.jpg", "jpg", "secret.jpg"),
        ("....", None, "fichier"),
        ("", "webp", "fichier.webp"),
        ("a" * 300 + ".jpg", None, "a" * 80 + ".jpg"),
        ('x";.html', "jpg", "x.jpg"),
    ],
)
def test_safe_filename(name: str, extension: str | None, expected: str) -> None:
    assert safe_filename(name, extension) == expected
