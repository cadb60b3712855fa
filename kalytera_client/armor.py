"""The text armour and canonical JSON shared by every Kalytera document a VMS reads or writes.

Armour (``docs/license-certificate.md``, section "Armour")::

    -----BEGIN KALYTERA <LABEL>-----
    base64 (RFC 4648 section 4, with padding), 64 characters a line
    -----END KALYTERA <LABEL>-----

Readers accept CRLF or CR line ends, spaces and tabs around lines, blank lines, any line
width, and whitespace before and after the block, because mail clients and terminals add
them. Anything else (text around the block, characters outside the alphabet, padding in
the middle, non-zero spare bits) is refused, so one document has exactly one reading.
"""

import base64
import binascii
import json
import re

LINE_WIDTH = 64
MAX_ARMOR_CHARS = 32768
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BEGIN = re.compile(r"-----BEGIN KALYTERA ([A-Z]+(?: [A-Z]+)*)-----")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


class ArmorError(ValueError):
    """The text is not one well-formed armoured block."""


def armor(label: str, data: bytes) -> str:
    """``data`` as an armoured block with the label ``KALYTERA <label>``, ending in a newline."""
    body = base64.b64encode(data).decode("ascii")
    lines = [body[start : start + LINE_WIDTH] for start in range(0, len(body), LINE_WIDTH)]
    return "\n".join([f"-----BEGIN KALYTERA {label}-----", *lines, f"-----END KALYTERA {label}-----"]) + "\n"


def starts_armored(text: str) -> bool:
    """Whether ``text`` opens with a ``-----BEGIN KALYTERA ...-----`` line, whatever follows."""
    return _BEGIN.match(text.lstrip(" \t\r\n")) is not None


def dearmor(text: str) -> tuple[str, bytes]:
    """The label (without ``KALYTERA``) and the bytes of one armoured block."""
    if not isinstance(text, str):
        raise ArmorError("The document must be text.")
    if len(text) > MAX_ARMOR_CHARS:
        raise ArmorError(f"The document is longer than {MAX_ARMOR_CHARS} characters.")
    lines = [line.strip(" \t") for line in _LINE_BREAK.split(text.strip(" \t\r\n"))]
    begin = _BEGIN.fullmatch(lines[0])
    if begin is None:
        raise ArmorError("The document does not start with a -----BEGIN KALYTERA ...----- line.")
    label = begin.group(1)
    if len(lines) < 3 or lines[-1] != f"-----END KALYTERA {label}-----":
        raise ArmorError("The -----END KALYTERA ...----- line is missing or does not match the BEGIN line.")
    body = "".join(lines[1:-1])
    if not _BASE64.fullmatch(body) or len(body) % 4:
        raise ArmorError("The body between BEGIN and END is not base64 (cut off, or stray characters).")
    try:
        data = base64.b64decode(body, validate=True)
    except binascii.Error:
        raise ArmorError("The body between BEGIN and END is not base64.") from None
    if base64.b64encode(data).decode("ascii") != body:
        raise ArmorError("The body between BEGIN and END is not canonical base64.")
    return label, data


def canonical_json(value: object) -> bytes:
    """RFC 8785 (JCS) bytes for values made of objects with ASCII keys, strings, integers, lists, null."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def parse_canonical_json(data: bytes) -> dict:
    """The object encoded by ``data``; ``ValueError`` unless ``data`` is canonical JSON of an object.

    Floats, duplicate keys and invalid UTF-8 are refused.
    """
    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=_unique_keys, parse_float=_refuse_float)
    except (UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    if canonical_json(value) != data:
        raise ValueError("not canonical JSON")
    return value


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _refuse_float(text: str) -> float:
    raise ValueError("numbers must be integers")
