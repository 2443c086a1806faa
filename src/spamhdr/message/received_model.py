"""The records of the ``Received`` parser: a parsed relay, a skipped handover, work fields.

Input: field values found by :mod:`spamhdr.message.received_formats`. Output:
:class:`Relay` (the fields of ``X-Spam-Relays-*``), :class:`Skipped` (``return 0`` in
``Received.pm``: a handover deliberately ignored) and the mutable :class:`Fields` the
format cascade fills in. Invariants: ``Relay`` is immutable; its ``as_string`` is
``Received.pm make_relay_as_string`` byte for byte (sa-rules.md §5.8).
"""

from __future__ import annotations

from typing import Final

from spamhdr.message._record import Record

__all__ = ["SKIPPED", "Fields", "ParseOutcome", "Relay", "Skipped"]


class Relay(Record):
    """One parsed handover (the fields of ``X-Spam-Relays-*``); a
    :class:`~spamhdr.message._record.Record`, made for every Received line.

    ``envfrom`` is ``None`` when the header named no envelope sender.
    """

    __slots__ = (
        "auth",
        "by",
        "envfrom",
        "helo",
        "id",
        "ident",
        "ip",
        "ip_private",
        "pop_fetcher",
        "rdns",
    )
    FIELDS = (
        "ip",
        "rdns",
        "helo",
        "by",
        "ident",
        "envfrom",
        "id",
        "auth",
        "ip_private",
        "pop_fetcher",
    )

    def __init__(
        self,
        ip: bytes,
        rdns: bytes,
        helo: bytes,
        by: bytes,
        ident: bytes,
        envfrom: bytes | None,
        id: bytes,
        auth: bytes,
        ip_private: bool,
        pop_fetcher: bool = False,
    ) -> None:
        self.ip: Final = ip
        self.rdns: Final = rdns
        self.helo: Final = helo
        self.by: Final = by
        self.ident: Final = ident
        self.envfrom: Final = envfrom
        self.id: Final = id
        self.auth: Final = auth
        self.ip_private: Final = ip_private
        self.pop_fetcher: Final = pop_fetcher

    def field_values(self) -> tuple[object, ...]:
        return (
            self.ip,
            self.rdns,
            self.helo,
            self.by,
            self.ident,
            self.envfrom,
            self.id,
            self.auth,
            self.ip_private,
            self.pop_fetcher,
        )

    def with_envfrom(self, envfrom: bytes | None) -> Relay:
        """This relay with another envelope sender (the trust path's pending one)."""
        return Relay(
            self.ip,
            self.rdns,
            self.helo,
            self.by,
            self.ident,
            envfrom,
            self.id,
            self.auth,
            self.ip_private,
            self.pop_fetcher,
        )

    def as_string(self, internal: bool, msa: bool) -> bytes:
        """``make_relay_as_string`` with the final ``intl``/``msa`` flags."""
        envfrom = self.envfrom if self.envfrom not in (None, b"", b"0") else b""
        assert envfrom is not None
        return b"".join(
            (
                b"[ ip=",
                self.ip,
                b" rdns=",
                self.rdns,
                b" helo=",
                self.helo,
                b" by=",
                self.by,
                b" ident=",
                self.ident,
                b" envfrom=",
                envfrom,
                b" intl=",
                b"1" if internal else b"0",
                b" id=",
                self.id,
                b" auth=",
                self.auth,
                b" msa=",
                b"1" if msa else b"0",
                b" ]",
            )
        )


class Skipped:
    """A handover ``Received.pm`` ignores (``return 0``), with what it leaves behind."""

    __slots__ = ("pop_fetcher", "qmail_scanner_envfrom")

    def __init__(self, pop_fetcher: bool = False, qmail_scanner_envfrom: bytes | None = None):
        self.pop_fetcher = pop_fetcher
        self.qmail_scanner_envfrom = qmail_scanner_envfrom


SKIPPED: Final = Skipped()
ParseOutcome = Relay | Skipped | None


class Fields:
    """The variables ``parse_received_line`` fills in before ``enough:``."""

    __slots__ = ("auth", "by", "envfrom", "helo", "id", "ident", "ip", "rdns")

    def __init__(self) -> None:
        self.ip = self.helo = self.rdns = self.by = self.id = self.ident = self.auth = b""
        self.envfrom: bytes | None = None
