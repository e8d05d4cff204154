"""Turning FFmpeg's failures into one-line reasons a person can act on."""

from __future__ import annotations

import logging
from pathlib import Path

import av
import av.logging

# PyAV only remembers FFmpeg's last error message (the useful part: "moov atom not found",
# "Input buffer exhausted ...") when FFmpeg logging is on. Turn it on at ERROR level unless the
# application already chose a level; the messages go to the `libav` Python logger.
if av.logging.get_level() is None:
    av.logging.set_level(av.logging.ERROR)
logging.getLogger("libav").addHandler(logging.NullHandler())

_TEXT_SNIFF_BYTES = 512


def reason(exc: BaseException) -> str:
    """FFmpeg's own words, without the path PyAV repeats: 'invalid data ... (moov atom not found)'."""
    if not isinstance(exc, av.error.FFmpegError):
        return str(exc)
    text = (exc.strerror or "").rstrip(".")
    text = text[:1].lower() + text[1:]
    detail = str(exc).partition("last error log: ")[2].strip()
    if detail:
        detail = detail.split("] ", 1)[-1]          # drop the "[mov,mp4,...]" component tag
        text = f"{text} ({detail})" if text else detail
    return text or type(exc).__name__


def looks_like_text(path: Path) -> bool:
    """True for files whose start is printable UTF-8: every media container has binary bytes up front."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_TEXT_SNIFF_BYTES)
    except OSError:
        return False
    if not head or b"\x00" in head:
        return False
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the sniff boundary is still text.
        try:
            decoded = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in decoded)
    return printable >= 0.95 * len(decoded)


def open_failure(path: Path, exc: BaseException) -> str:
    """Why FFmpeg could not open `path`, in terms of what the user has in hand."""
    why = reason(exc)
    if looks_like_text(path):
        return "a text file, not a recording"
    if "moov atom not found" in why:
        return ("unfinished or cut-off MP4/MOV: its index (the 'moov atom', written when recording stops) "
                "is missing, so nothing can be read")
    return f"not a recording FFmpeg can read ({why})"
