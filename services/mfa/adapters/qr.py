"""QR codes as inline SVG, rendered here (no external service sees the secret)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg


def svg_of(text: str) -> str:
    """An SVG document encoding `text` as a QR code."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()
