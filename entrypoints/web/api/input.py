"""Request bodies parsed by one private cattrs converter, strict about shape.

Litestar's own decoding would coerce ``"3"`` into ``3`` and report one error at a time in
English; here a body is JSON, then structured by a converter that refuses unknown keys and
wrong types, and every refusal becomes a French field message (422 problem). Malformed
JSON is a 400 problem. ``CattrsDTO[SomeInput]`` keeps Litestar's OpenAPI schema for the
body while the parsing is ours.
"""

from __future__ import annotations

import enum
import json
from typing import Any, Generic, TypeVar

import cattrs
from cattrs.errors import BaseValidationError
from litestar.dto import DataclassDTO, DTOConfig

from entrypoints.web.errors import NOT_AN_OBJECT, FieldError, describe_structuring_error
from entrypoints.web.problems import InputRejected

T = TypeVar("T")


def _strict(expected: type) -> Any:
    # cattrs' defaults call str()/int() on anything: 5 would become "5", "3" would become 3.
    def structure(value: Any, _type: Any) -> Any:
        if type(value) is not expected:  # bool is an int subclass: compare types exactly
            raise TypeError(f"expected {expected.__name__}, got {type(value).__name__}")
        return value

    return structure


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    for kind in (str, int, bool):
        converter.register_structure_hook(kind, _strict(kind))
    # An IntEnum is an int subclass: without this the strict int hook would hand back a bare int.
    converter.register_structure_hook(enum.IntEnum, _int_enum)
    return converter


def _int_enum(value: Any, enum_type: Any) -> Any:
    if type(value) is not int:
        raise ValueError(f"expected one of {[m.value for m in enum_type]}")
    return enum_type(value)


_converter = _make_converter()


def parse_body(raw: bytes, model_type: type[T]) -> T:
    """Bytes of a JSON request body → an instance of ``model_type``, or ``InputRejected``."""
    try:
        value = json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise InputRejected("request.malformed_json", status=400) from None
    if not isinstance(value, dict):
        raise InputRejected("request.invalid", [FieldError("", NOT_AN_OBJECT)])
    try:
        return _converter.structure(value, model_type)
    except (BaseValidationError, ValueError, TypeError, KeyError) as exc:
        raise InputRejected("request.invalid", describe_structuring_error(exc, model_type)) from None


class CattrsDTO(DataclassDTO[T], Generic[T]):
    """A dataclass DTO whose decoding is :func:`parse_body` (schema from Litestar, parsing ours)."""

    config = DTOConfig(forbid_unknown_fields=True)

    def __class_getitem__(cls, annotation: Any) -> Any:
        # OpenAPI names the body after the input class (``LoginInput``), not after the handler.
        dto = super().__class_getitem__(annotation)
        if isinstance(annotation, type):
            dto.__schema_name__ = annotation.__name__
        return dto

    def decode_bytes(self, value: bytes) -> Any:
        media_type = self.asgi_connection.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json" and not media_type.endswith("+json"):
            # A form or text/plain body is what a cross-site form can send: JSON only here.
            raise InputRejected("http.unsupported_media_type", status=415)
        return parse_body(value, self.model_type)  # type: ignore[attr-defined]
