"""INFO's text read as redis-py reads it (``redis._parsers.helpers.parse_info``), so that
``Broker.info()`` returns the same dict a redis-py client of Redis gets."""

from __future__ import annotations

from typing import Any


def _value(value: str) -> Any:
    if "," not in value and "=" not in value:
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value
    if "=" not in value:
        return [_value(v) for v in value.split(",") if v]
    sub: dict[str, Any] = {}
    for item in value.split(","):
        if not item:
            continue
        if "=" in item:
            k, v = item.rsplit("=", 1)
            sub[k] = _value(v)
        else:
            sub[item] = True
    return sub


def parse_info(text: str) -> dict[str, Any]:
    """``field:value`` lines into a dict; ``a=1,b=2`` values into dicts, numbers into
    int or float; ``# Section`` headers skipped."""
    info: dict[str, Any] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if ":" in line:
            key, value = line.split(":", 1)
            if key == "cmdstat_host":
                key, value = line.rsplit(":", 1)
            if key == "module":
                info.setdefault("modules", []).append(_value(value))
            else:
                info[key] = _value(value)
        else:
            info.setdefault("__raw__", []).append(line)
    return info
