"""JSON as both APIs write it: datetimes in UTC with a Z and whole seconds, amounts (Decimals)
as JSON numbers (API.md §2). An event's stored object is written alike, so the feed and a
webhook carry what a GET answers, byte for byte."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # money is a JSON number in REST (API.md §2)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default, option=OPTIONS)
