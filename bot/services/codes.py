"""Reading QR codes and barcodes from an image, in memory, off the event loop (PRODUCT §9).

zxing-cpp reads distorted phone photos (rotated, tilted, blurred, JPEG-compressed, with glare)
far better than the alternatives, and it ships as a self-contained wheel. Pillow opens the
image. Nothing is written to disk: the bytes come from Telegram and are dropped after decoding.

Decoding a photo takes tens of milliseconds of CPU, and a photo without a code hundreds; it runs
in a worker thread (zxing-cpp and Pillow release the GIL) so that other cashiers' updates go on,
and at most ``MAX_PARALLEL_DECODES`` at a time, so a burst of photos cannot take every core or
hold many decoded images in memory at once.
"""

from __future__ import annotations

import asyncio
import io

import zxingcpp
from PIL import Image, ImageFilter, UnidentifiedImageError

from bot.domain.scan import ScannedCode

#: Files larger than this are refused before they are downloaded (Telegram tells the size).
MAX_IMAGE_BYTES = 10 * 1024 * 1024
#: Images with more pixels than this are refused once their header is read, before decoding.
MAX_IMAGE_PIXELS = 40_000_000
MAX_PARALLEL_DECODES = 2
#: What customers show at a till: QR codes (Gameball's), loyalty-card barcodes, DataMatrix and
#: the like. Formats prone to false reads in ordinary photos (ITF, DataBar) are left out.
FORMATS = zxingcpp.barcode_formats_from_str(
    "QRCode,MicroQRCode,RMQRCode,DataMatrix,Aztec,PDF417,"
    "Code128,Code39,Code93,Codabar,EAN13,EAN8,UPCA,UPCE"
)
#: An unsharp mask strong enough to separate bars blurred by a phone's focus.
SHARPEN = ImageFilter.UnsharpMask(radius=2, percent=150, threshold=3)
NOT_AN_IMAGE = "not_an_image"
TOO_LARGE = "too_large"


class ImageRefused(ValueError):
    """The file cannot be read as an image, or is too large to read; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode_image(data: bytes) -> list[ScannedCode]:
    """Every code in the image, each text once, in the order zxing-cpp found them.

    When nothing is found, a sharpened copy is read too: in an out-of-focus photo the bars of a
    barcode run together, and sharpening is what separates them again (phones' own scanners do
    the same). It costs a second pass only for photos that would otherwise fail.

    Raises ``ImageRefused`` for bytes that are no image Pillow reads, and for images larger
    than ``MAX_IMAGE_PIXELS`` (checked from the header, before the pixels are decoded).
    """
    grey = _grey(data)
    barcodes = zxingcpp.read_barcodes(grey, formats=FORMATS) or zxingcpp.read_barcodes(
        grey.filter(SHARPEN), formats=FORMATS
    )
    found: dict[str, ScannedCode] = {}
    for barcode in barcodes:
        if barcode.valid and barcode.text.strip() and barcode.text not in found:
            found[barcode.text] = ScannedCode(barcode.text, str(barcode.symbology))
    return list(found.values())


def _grey(data: bytes) -> Image.Image:
    """The image in greyscale, which is all zxing-cpp looks at (JPEGs decode straight to it)."""
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:  # Pillow's own limit, far above ours
        raise ImageRefused(TOO_LARGE) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise ImageRefused(NOT_AN_IMAGE) from None
    with image:
        if image.width * image.height > MAX_IMAGE_PIXELS:
            raise ImageRefused(TOO_LARGE)
        image.draft("L", image.size)
        try:
            return image.convert("L")
        except (OSError, ValueError):  # a truncated or corrupt file fails only when decoded
            raise ImageRefused(NOT_AN_IMAGE) from None


class CodeReader:
    """Decodes images in worker threads, a few at a time."""

    def __init__(self, parallel: int = MAX_PARALLEL_DECODES) -> None:
        self._slots = asyncio.Semaphore(parallel)

    async def read(self, data: bytes) -> list[ScannedCode]:
        """:func:`decode_image` without blocking the event loop."""
        async with self._slots:
            return await asyncio.to_thread(decode_image, data)
