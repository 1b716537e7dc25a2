"""QR codes of session URLs (`segno`): an SVG document for web pages, Unicode blocks for
terminals. Error correction level M: a URL of ~90 characters fits a version-5 code that a
phone reads off a screen at arm's length."""

from __future__ import annotations

import io

import segno

__all__ = ["qr_codes"]


def qr_codes(url: str) -> tuple[str, str]:
    """(`svg`, `text`) of `url`'s QR code."""
    code = segno.make(url, error="m", micro=False)
    svg = io.BytesIO()
    code.save(svg, kind="svg", scale=4, xmldecl=False, svgns=True)
    text = io.StringIO()
    code.terminal(out=text, compact=True)
    return svg.getvalue().decode("utf-8"), text.getvalue()
