"""Pictures of customers' codes, made at test time: clean codes and phone-like photos of them.

The codes are drawn by writers other than the decoder's own where one exists (segno for QR,
python-barcode for Code 128 and EAN-13; zxing-cpp's writer only for DataMatrix), so a test
cannot pass because encoder and decoder share a mistake. A "photo" puts a code on a noisy
1280×960 background and then does what a hurried phone camera does: turns it, tilts it in
perspective, blurs it, compresses it hard, and washes part of it out with glare. The distorted
set is seeded, so every run sees the same pictures (``bench/decode.py`` reports on it).
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass

import barcode
import segno
import zxingcpp
from barcode.writer import ImageWriter
from PIL import Image, ImageFilter

PHOTO_SIZE = (1280, 960)
#: A Gameball till code: the customer ID, then the 6-digit rotating hash, no separator.
GAMEBALL_HASH = "482913"


#: python-barcode's drawing options: bars of 0.4 mm at 300 dpi (about 5 pixels), no digits below.
_BARS: dict[str, object] = {"module_width": 0.4, "write_text": False}


def qr_code(text: str) -> Image.Image:
    out = io.BytesIO()
    segno.make_qr(text, error="m").save(out, kind="png", scale=10, border=4)
    return _opened(out)


def code128(text: str) -> Image.Image:
    out = io.BytesIO()
    barcode.get("code128", text, writer=ImageWriter()).write(out, _BARS)
    return _opened(out)


def ean13(digits: str) -> Image.Image:
    out = io.BytesIO()
    barcode.get("ean13", digits, writer=ImageWriter()).write(out, _BARS)
    return _opened(out)


def datamatrix(text: str) -> Image.Image:
    drawn = memoryview(
        zxingcpp.write_barcode_to_image(
            zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.DataMatrix), scale=10
        )
    )
    height, width = drawn.shape[0], drawn.shape[1]
    return Image.frombytes("L", (width, height), drawn.tobytes())


def _opened(out: io.BytesIO) -> Image.Image:
    out.seek(0)
    return Image.open(out).convert("L")


def encoded(image: Image.Image, kind: str = "PNG", **options: int) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


@dataclass(frozen=True)
class Distortion:
    """What a hurried phone camera does to a code; the defaults leave it clean and upright."""

    angle: float = 0.0  # degrees, counter-clockwise
    tilt: float = 0.0  # perspective: how far (as a share of the code's width) a corner moves
    blur: float = 0.0  # Gaussian radius in pixels
    quality: int = 90  # JPEG quality
    glare: float = 0.0  # 0..1: how white the brightest spot turns
    scale: float = 0.4  # the code's share of the photo's shorter side
    seed: int = 0


def phone_photo(code: Image.Image, distortion: Distortion = Distortion()) -> bytes:
    """A 1280×960 JPEG of ``code`` on a noisy background, distorted as ``distortion`` says."""
    rnd = random.Random(distortion.seed)
    photo = _background(rnd)
    placed = _tilted(_scaled(code, distortion.scale), distortion.tilt).rotate(
        distortion.angle, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC
    )
    x = (PHOTO_SIZE[0] - placed.width) // 2 + rnd.randint(-60, 60)
    y = (PHOTO_SIZE[1] - placed.height) // 2 + rnd.randint(-40, 40)
    photo.paste(placed, (x, y))
    return _camera(photo, distortion)


def photo_of_two(left: Image.Image, right: Image.Image) -> bytes:
    """Two codes side by side in one photo (a loyalty card with a QR code and a barcode)."""
    photo = _background(random.Random(7))
    for index, code in enumerate((left, right)):
        placed = _scaled(code, 0.3)
        x = PHOTO_SIZE[0] // 4 * (1 + 2 * index) - placed.width // 2
        photo.paste(placed, (x, (PHOTO_SIZE[1] - placed.height) // 2))
    return _camera(photo, Distortion())


def blank_photo() -> bytes:
    """A photo with no code in it: a table top."""
    return _camera(_background(random.Random(3)), Distortion(blur=1.0))


def _background(rnd: random.Random) -> Image.Image:
    noise = Image.effect_noise(PHOTO_SIZE, 30 + rnd.randint(0, 20))
    return noise.point(lambda value: 80 + value // 3).convert("L")


def _scaled(code: Image.Image, share: float) -> Image.Image:
    side = int(min(PHOTO_SIZE) * share)
    factor = side / max(code.size)
    size = (max(1, int(code.width * factor)), max(1, int(code.height * factor)))
    # A sensor averages what falls on each pixel; enlarging keeps the modules' sharp edges.
    sampling = Image.Resampling.BOX if factor < 1 else Image.Resampling.NEAREST
    return code.resize(size, sampling)


def _tilted(code: Image.Image, tilt: float) -> Image.Image:
    """A projective (camera-like) tilt: the code's top edge recedes, one side more than the other;
    what the code no longer covers is white (the card around it)."""
    if not tilt:
        return code
    width, height = code.size
    shift = tilt * width
    corners = [(0, 0), (width, 0), (width, height), (0, height)]
    seen = [(shift, shift * 0.4), (width - shift * 0.5, 0), (width, height), (0, height)]
    return code.transform(
        code.size,
        Image.Transform.PERSPECTIVE,
        _perspective(seen, corners),
        Image.Resampling.BICUBIC,
        fillcolor=255,
    )


def _camera(photo: Image.Image, distortion: Distortion) -> bytes:
    """Glare, focus blur and JPEG compression, in the order a phone applies them."""
    picture = photo.convert("RGB")
    if distortion.glare:
        spot = Image.radial_gradient("L").resize(PHOTO_SIZE)
        strength = spot.point(lambda value: int((255 - value) * distortion.glare))
        picture = Image.composite(Image.new("RGB", PHOTO_SIZE, "white"), picture, strength)
    if distortion.blur:
        picture = picture.filter(ImageFilter.GaussianBlur(distortion.blur))
    return encoded(picture, "JPEG", quality=distortion.quality)


def _perspective(
    output: list[tuple[float, float]], source: list[tuple[float, float]]
) -> tuple[float, ...]:
    """Pillow's 8 perspective coefficients: each output point shows the matching source point."""
    rows, values = [], []
    for (x, y), (u, v) in zip(output, source, strict=True):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        values += [u, v]
    return tuple(_solve(rows, values))


def _solve(rows: list[list[float]], values: list[float]) -> list[float]:
    """Gauss-Jordan elimination with partial pivoting (8 unknowns: no numpy needed)."""
    matrix = [[*row, value] for row, value in zip(rows, values, strict=True)]
    size = len(matrix)
    for column in range(size):
        pivot = max(range(column, size), key=lambda row: abs(matrix[row][column]))
        matrix[column], matrix[pivot] = matrix[pivot], matrix[column]
        for row in range(size):
            if row != column:
                factor = matrix[row][column] / matrix[column][column]
                matrix[row] = [
                    a - factor * b for a, b in zip(matrix[row], matrix[column], strict=True)
                ]
    return [matrix[row][size] / matrix[row][row] for row in range(size)]


# --- the distorted set ------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    """One distorted photo and the text its code holds."""

    name: str
    photo: bytes
    text: str


@dataclass(frozen=True)
class Subject:
    """A code to photograph: what it holds, how it is drawn, and how a cashier frames it."""

    text: str
    draw: Callable[[str], Image.Image]
    max_angle: float  # a barcode is held roughly level; a square code any way up
    share: tuple[float, float]  # of the photo's shorter side; barcodes are held closer


SQUARE, WIDE = (0.25, 0.45), (0.5, 0.7)
SUBJECTS = (
    Subject("demo-1001" + GAMEBALL_HASH, qr_code, 180.0, SQUARE),
    Subject("mobile_966500001234" + GAMEBALL_HASH, qr_code, 180.0, SQUARE),
    Subject("demo-1002", code128, 12.0, WIDE),
    Subject("6221000000010", ean13, 12.0, WIDE),
    Subject("demo-1003", datamatrix, 180.0, SQUARE),
)


def distorted_set(per_code: int = 8) -> list[Fixture]:
    """``per_code`` seeded phone photos of each of ``SUBJECTS``, each distorted differently."""
    fixtures = []
    for subject in SUBJECTS:
        code = subject.draw(subject.text)
        for index in range(per_code):
            rnd = random.Random(f"{subject.text}/{index}")
            distortion = Distortion(
                angle=rnd.uniform(-subject.max_angle, subject.max_angle),
                tilt=rnd.uniform(0.0, 0.2),
                blur=rnd.choice((0.0, 0.8, 1.5, 2.0)),
                quality=rnd.choice((90, 70, 45, 30)),
                glare=rnd.choice((0.0, 0.0, 0.4, 0.6)),
                scale=rnd.uniform(*subject.share),
                seed=index,
            )
            name = f"{subject.draw.__name__}-{index}"
            fixtures.append(Fixture(name, phone_photo(code, distortion), subject.text))
    return fixtures
