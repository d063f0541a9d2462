"""``BitFieldOperation``: the BITFIELD command builder that ``Broker.bitfield()`` returns,
as redis-py's (``redis.commands.core.BitFieldOperation``): chain ``get``/``set``/
``incrby``/``overflow``, then ``execute()`` sends one BITFIELD through the broker's
``execute_command``. On an ``embedis.asyncio.Broker`` that call is a coroutine, so
``await op.execute()``, as with ``redis.asyncio``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BitFieldOperation"]


class BitFieldOperation:
    """Command builder for BITFIELD commands (redis-py's, method for method)."""

    def __init__(self, client: Any, key: Any, default_overflow: str | None = None) -> None:
        self.client = client
        self.key = key
        self._default_overflow = default_overflow
        self.operations: list[tuple[Any, ...]] = []
        self._last_overflow = "WRAP"
        self.reset()

    def reset(self) -> None:
        """Forget the queued operations, back to the state just after construction."""
        self.operations = []
        self._last_overflow = "WRAP"
        self.overflow(self._default_overflow or self._last_overflow)

    def overflow(self, overflow: str) -> BitFieldOperation:
        """Set the overflow policy (WRAP, SAT or FAIL) of the SET/INCRBY that follow."""
        overflow = overflow.upper()
        if overflow != self._last_overflow:
            self._last_overflow = overflow
            self.operations.append(("OVERFLOW", overflow))
        return self

    def incrby(self, fmt: str, offset: Any, increment: int, overflow: str | None = None) -> BitFieldOperation:
        """Add ``increment`` to the ``fmt`` field (``"u8"``, ``"i16"``...) at ``offset``
        (bits, or ``"#n"`` for n fields of that width), under ``overflow`` if given."""
        if overflow is not None:
            self.overflow(overflow)
        self.operations.append(("INCRBY", fmt, offset, increment))
        return self

    def get(self, fmt: str, offset: Any) -> BitFieldOperation:
        """Read the ``fmt`` field at ``offset``."""
        self.operations.append(("GET", fmt, offset))
        return self

    def set(self, fmt: str, offset: Any, value: int) -> BitFieldOperation:
        """Write ``value`` to the ``fmt`` field at ``offset`` (answers the old value)."""
        self.operations.append(("SET", fmt, offset, value))
        return self

    @property
    def command(self) -> list[Any]:
        """The command words ``execute()`` would send."""
        cmd: list[Any] = ["BITFIELD", self.key]
        for ops in self.operations:
            cmd.extend(ops)
        return cmd

    def execute(self) -> Any:
        """Send the queued operations as one BITFIELD; a reply per GET/SET/INCRBY (None
        where OVERFLOW FAIL refused a write). The builder is reset."""
        command = self.command
        self.reset()
        return self.client.execute_command(*command)
