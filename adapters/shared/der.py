"""The few DER pieces written by hand: the CA re-signs builder output and writes QCStatements,
the signing adapter encodes signed attributes as a SET OF, the in-process TSA writes its tokens."""

from __future__ import annotations


def length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + length(len(content)) + content


def sequence(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


def set_of(items: list[bytes]) -> bytes:
    """A SET OF the already encoded ``items``, in the order given (DER wants them sorted: the
    caller sorts when it matters)."""
    return tlv(0x31, b"".join(items))


def integer(n: int) -> bytes:
    """An INTEGER, two's complement in the fewest bytes (negative values too)."""
    size = ((n if n >= 0 else ~n).bit_length() + 8) // 8
    return tlv(0x02, n.to_bytes(size, "big", signed=True))


def octet_string(data: bytes) -> bytes:
    return tlv(0x04, data)


def bit_string(data: bytes) -> bytes:
    return tlv(0x03, b"\x00" + data)


def oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([parts[0] * 40 + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body.extend(reversed(chunk))
    return tlv(0x06, bytes(body))


def ia5_string(text: str) -> bytes:
    return tlv(0x16, text.encode("ascii"))


def printable_string(text: str) -> bytes:
    return tlv(0x13, text.encode("ascii"))


def _header(data: bytes, pos: int) -> tuple[int, int]:
    """(content start, content end) of the TLV at ``pos`` (single-byte tags only)."""
    first = data[pos + 1]
    if first < 0x80:
        return pos + 2, pos + 2 + first
    count = first & 0x7F
    size = int.from_bytes(data[pos + 2 : pos + 2 + count], "big")
    start = pos + 2 + count
    return start, start + size


def children(data: bytes) -> list[bytes]:
    """The complete TLVs inside the constructed TLV ``data``."""
    start, end = _header(data, 0)
    items = []
    pos = start
    while pos < end:
        _, child_end = _header(data, pos)
        items.append(data[pos:child_end])
        pos = child_end
    return items


def content(data: bytes) -> bytes:
    start, end = _header(data, 0)
    return data[start:end]


def replace_signature(signed: bytes, signature: bytes) -> bytes:
    """Swap the signature of a Certificate or CertificateList (both are
    SEQUENCE { tbs, signatureAlgorithm, BIT STRING }) for ``signature``."""
    tbs, algorithm, _old = children(signed)
    return sequence(tbs, algorithm, bit_string(signature))


def spki_key_bits(spki: bytes) -> bytes:
    """The subjectPublicKey bits of a SubjectPublicKeyInfo (what OCSP key hashes cover)."""
    _algorithm, key = children(spki)
    return content(key)[1:]
