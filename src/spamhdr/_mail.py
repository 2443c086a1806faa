"""The one adapter to message sources and to mail-parser.

Everything that turns "a message" given by a caller (bytes, text, a path, a binary file,
an ``email.message.Message``) into bytes lives here, and so does the only use of
mail-parser, which spamhdr uses to walk MIME bodies (for SpamAssassin's body reports).
mail-parser's own ``headers`` mapping loses order and duplicates, so header work never goes
through it (STYLE.md point 6): we read its wrapped stdlib message instead.
"""

from __future__ import annotations

import email.generator
import email.message
import email.policy
import io
import os
from typing import BinaryIO, TypeAlias

from spamhdr.errors import InputError

__all__ = ["MessageSource", "message_bytes", "read_input_file", "text_parts"]

#: What the public API accepts as "a message".
MessageSource: TypeAlias = (
    "bytes | bytearray | memoryview | str | os.PathLike[str] | BinaryIO | email.message.Message"
)


def read_input_file(path: str | os.PathLike[str]) -> bytes:
    """Read a file given on the command line or to the API.

    Raises:
        InputError: the file cannot be read (the message names the file and the reason).
    """
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except IsADirectoryError:
        raise InputError("is a directory", os.fspath(path)) from None
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), os.fspath(path)) from None


def message_bytes(source: MessageSource) -> bytes:
    """Return the bytes of a message given in any of the accepted forms.

    ``str`` is message *text* (encoded as UTF-8); a path must be an ``os.PathLike``.

    Raises:
        InputError: the source is unreadable or of an unsupported type.
    """
    if isinstance(source, bytes):
        return source
    if isinstance(source, (bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, str):
        return source.encode("utf-8", "surrogateescape")
    if isinstance(source, os.PathLike):
        return read_input_file(source)
    if isinstance(source, email.message.Message):
        buffer = io.BytesIO()
        policy = email.policy.compat32.clone(linesep="\n")
        email.generator.BytesGenerator(buffer, mangle_from_=False, policy=policy).flatten(source)
        return buffer.getvalue()
    read = getattr(source, "read", None)
    if callable(read):
        try:
            data = read()
        except OSError as exc:
            raise InputError(str(exc), getattr(source, "name", None)) from None
        if isinstance(data, str):
            raise InputError("file object must be opened in binary mode")
        if not isinstance(data, (bytes, bytearray)):
            raise InputError(f"file object returned {type(data).__name__}, not bytes")
        return bytes(data)
    raise InputError(f"cannot read a message from a {type(source).__name__}")


def text_parts(data: bytes) -> list[str]:
    """The decoded ``text/plain`` parts of a message, outermost first.

    Used to find SpamAssassin's report in a ``report_safe`` wrapper or after ``-t``.
    Never raises for malformed MIME: what cannot be decoded is skipped.
    """
    import mailparser  # imported here: the only place spamhdr uses mail-parser

    try:
        parsed = mailparser.parse_from_bytes(data)
        message = parsed.message
    except Exception:  # mail-parser raises assorted types on broken MIME
        return []
    parts: list[str] = []
    for part in message.walk():
        if part.get_content_maintype() == "multipart":
            continue
        if part.get_content_type() != "text/plain":
            continue
        try:
            payload = part.get_payload(decode=True)
        except Exception:  # malformed transfer encoding
            continue
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            parts.append(payload.decode(charset, "replace"))
        except LookupError:
            parts.append(payload.decode("utf-8", "replace"))
    return parts
