"""Value semantics for the small records built on every message, without dataclasses.

Input: a subclass that names its fields in ``FIELDS`` and returns their values, in that
order, from :meth:`Record.field_values`. Output: equality (same class, same values),
hashing and a ``Name(field=value, ...)`` repr, as a frozen dataclass gives them.

Why: mypyc builds every dataclass, frozen or not, through the ``__init__`` that the
``dataclasses`` module generates in Python (an argument tuple, a dict and
``object.__setattr__`` per field), about a microsecond per object; a plain class with an
``__init__`` of its own gets a compiled constructor. The records made per message
(header fields, relays, addresses, rule outcomes: ~60 a message) use this base.
Invariant: records are immutable by contract — their attributes are ``Final``, which mypy
checks; nothing assigns them after ``__init__``.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["Record"]


class Record:
    """Base of the per-message records (module docstring)."""

    __slots__ = ()

    #: The field names, in constructor order.
    FIELDS: ClassVar[tuple[str, ...]] = ()

    def field_values(self) -> tuple[object, ...]:
        """The values of :data:`FIELDS`, in order."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self) or not isinstance(other, Record):
            return NotImplemented
        return self.field_values() == other.field_values()

    def __hash__(self) -> int:
        return hash(self.field_values())

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={value!r}"
            for name, value in zip(self.FIELDS, self.field_values(), strict=True)
        )
        return f"{type(self).__name__}({shown})"
