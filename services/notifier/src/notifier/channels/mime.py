"""The bytes of a staff email: multipart/alternative, a text and an HTML part.

The notifier sends one shape of email, and building it with `EmailMessage`
and flattening it was a third of the notifier's CPU per email under load
(header parsing and folding, content-manager heuristics, a second flatten in
aiosmtplib). This writer produces that one shape directly. The `email`
package still parses and folds the address headers (cached by value, since
the same few addresses recur), and `compose` returns None for any address
but one plain ASCII one, so the caller takes the general path for it.

Safety as before: no header value can carry a line break (the subject is
cleaned by `one_line`, every value is checked again here), and non-ASCII
subjects are RFC 2047 encoded words.

The Message-ID follows from the recipient and the notice (`message_id_for`):
an alert sent again after a crash (the notifier cannot know whether the SMTP
server took it before the ledger recorded it) carries the same id as the
first, and mail systems that drop a repeated Message-ID (Gmail, Exchange)
show the staff member one email.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from dataclasses import dataclass
from email import policy
from email.headerregistry import AddressHeader
from email.utils import formatdate

from notifier.rendering import Notice, one_line

_POLICY = policy.default.clone(linesep="\r\n")
_ADDRESS_CACHE_MAX = 256
# A 7bit part holds printable ASCII, tabs and line breaks only.
_NOT_7BIT = re.compile(r"[^\t\n\x20-\x7e]")
_WORD_BYTES = 45  # 60 base64 characters: an encoded word stays within 75


@dataclass(frozen=True)
class Composed:
    """An email ready for SMTP: envelope, Message-ID and the message bytes."""

    sender: str
    recipient: str
    message_id: str
    data: bytes


@dataclass(frozen=True)
class _Address:
    line: str  # the folded header line, CRLF-terminated
    addr_spec: str


_addresses: dict[tuple[str, str], _Address] = {}


def compose(notice: Notice, to: str, sender: str) -> Composed | None:
    """The email as bytes, or None for an address this writer does not take
    as it is (one that needs SMTPUTF8, a list, a malformed one)."""
    from_header, to_header = _address("From", sender), _address("To", to)
    if from_header is None or to_header is None:
        return None
    message_id = message_id_for(notice, to)
    boundary = f"=_{uuid.uuid4().hex}"
    head = (
        from_header.line
        + to_header.line
        + _subject(one_line(notice.subject, 200))
        + _line("Date", formatdate(localtime=False))
        + _line("Message-ID", message_id)
        + "Auto-Submitted: auto-generated\r\n"
        + "MIME-Version: 1.0\r\n"
        + f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
    )
    data = b"".join(
        (
            head.encode("ascii"),
            _part("plain", notice.text, boundary),
            _part("html", notice.html, boundary),
            f"--{boundary}--\r\n".encode("ascii"),
        )
    )
    return Composed(from_header.addr_spec, to_header.addr_spec, message_id, data)


def message_id_for(notice: Notice, to: str) -> str:
    """The same for the same notice to the same address, and only then: every
    notice names its submission (or, for a digest, its day and submissions)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (to, notice.subject, notice.text, notice.html):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return f"<{digest.hexdigest()}@notifier.local>"


def _address(name: str, value: str) -> _Address | None:
    key = (name, value)
    found = _addresses.get(key)
    if found is None:
        header = _POLICY.header_factory(name, value)
        line, defects = header.fold(policy=_POLICY), header.defects
        if (
            not isinstance(header, AddressHeader)
            or defects
            or len(header.addresses) != 1
            or "@" not in (spec := header.addresses[0].addr_spec)
            or not (spec + line).isascii()
        ):
            return None
        found = _Address(line, spec)
        if len(_addresses) < _ADDRESS_CACHE_MAX:
            _addresses[key] = found
    return found


def _line(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"line break in the {name} header")
    return f"{name}: {value}\r\n"


def _subject(value: str) -> str:
    _line("Subject", value)  # refuses a line break before folding adds its own
    folded = _fold(value) if value.isascii() else "\r\n ".join(_encoded_words(value))
    return f"Subject: {folded}\r\n"


def _fold(value: str, width: int = 68) -> str:
    """Break a long ASCII value at spaces (RFC 5322 asks for lines under 78)."""
    if len(value) <= width:
        return value
    lines, current = [], ""
    for word in value.split(" "):
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return "\r\n ".join([*lines, current])


def _encoded_words(value: str) -> list[str]:
    """RFC 2047 base64 words, split between characters, never inside one."""
    words, chunk = [], b""
    for char in value:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > _WORD_BYTES:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(word).decode('ascii')}?=" for word in words]


def _part(subtype: str, text: str, boundary: str) -> bytes:
    body = text.replace("\r\n", "\n").replace("\r", "\n")
    if not body.endswith("\n"):
        body += "\n"
    if _NOT_7BIT.search(body) is None and max(map(len, body.split("\n"))) <= 998:
        encoding, payload = "7bit", body.encode("ascii")
    else:
        encoding = "quoted-printable"
        payload = binascii.b2a_qp(body.encode("utf-8"), istext=True)
    if boundary.encode("ascii") in payload:
        encoding, payload = "base64", base64.encodebytes(body.encode("utf-8"))
    head = (
        f"--{boundary}\r\n"
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    # The line break before the next boundary belongs to the boundary, so the
    # part keeps its own final line break (as the email package writes it).
    return head.encode("ascii") + payload.replace(b"\n", b"\r\n") + b"\r\n"
