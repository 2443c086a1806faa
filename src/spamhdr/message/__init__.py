"""SpamAssassin 4.0.1 header values: the exact string each ``header`` rule sees.

Public API::

    from spamhdr.message import parse_sa_message, SAMessage, TrustConfig
    msg = parse_sa_message(data)            # bytes of one message
    msg.get("From:addr")                    # bytes, or None when undefined
    msg.get_list("ALL")                     # the elements before joining
    msg.get("X-Spam-Relays-Untrusted")      # b"[ ip=... ]" (b"" when there are none)

See docs/header-values.md and ../shared/spec/sa-rules.md §5.
"""

from __future__ import annotations

from spamhdr.message.addresses import _parse_memo
from spamhdr.message.decode import _decode_memo
from spamhdr.message.trust import DEFAULT_ORIGINATING_IP_HEADERS, TrustConfig, TrustPath
from spamhdr.message.values import (
    SAMessage,
    join_values,
    parse_sa_message,
    same_value_key,
    spec_field_names,
)

__all__ = [
    "DEFAULT_ORIGINATING_IP_HEADERS",
    "SAMessage",
    "TrustConfig",
    "TrustPath",
    "clear_memos",
    "join_values",
    "parse_sa_message",
    "same_value_key",
    "spec_field_names",
]


def clear_memos() -> None:
    """Forget the decoded header values and parsed address lists memoized across messages.

    Speed only (a memo entry is a pure function of the raw value): benchmarks call this,
    with the engine's ``Plan.clear_memos``, so that every round sees its messages cold.
    """
    _decode_memo.cache_clear()
    _parse_memo.cache_clear()
