"""``parse_header_addresses``' shortcuts for one plain address equal the general parser.

A value that is, apart from surrounding white space, ``a@b``, ``<a@b>``, ``Name <a@b>``
or ``"Name" <a@b>`` (address of ASCII letters, digits and ``._+=-``; a name without the
bytes the relaxed parser treats specially) is answered without ``$header_address_re``;
the general path
(``_parse_general``: the relaxed parser and the Email::Address::XS fallback, compared with
SpamAssassin by the differential test) must give the same result for every such value, and
values just outside the shortcut (quotes, a second '@', unbalanced brackets, a comma,
an empty local part) must still reach the general path.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from spamhdr.message.addresses import (
    _NAMED_ADDRESS,
    _SIMPLE_ADDRESS,
    ParsedAddress,
    _parse_general,
    _parse_header_addresses,
)

_LOCAL = st.text(alphabet="aZ09._+=-", min_size=1, max_size=8)
_DOMAIN = st.text(alphabet="az09.-", min_size=1, max_size=8)
_SPACE = st.sampled_from(["", " ", "\t", "\n ", "\x0b", "  \n"])


@settings(max_examples=500, deadline=None)
@given(_LOCAL, _DOMAIN, st.booleans(), _SPACE, _SPACE)
def test_shortcut_equals_the_general_parser(
    local: str, domain: str, angles: bool, before: str, after: str
) -> None:
    address = f"{local}@{domain}".encode()
    value = before.encode() + (b"<" + address + b">" if angles else address) + after.encode()
    assert _parse_header_addresses(value) == (ParsedAddress(None, address),)
    assert _parse_general(value) == (ParsedAddress(None, address),)


def test_values_outside_the_shortcuts_take_the_general_path() -> None:
    for value in (
        b' "a"@b.example',
        b" a@b@c.example",
        b" <a@b.example",
        b" a@b.example>",
        b" a@b.example, c@d.example",
        b" @b.example",
        b" a@b.example (comment)",
        b' "Doe, Jane" <a@b.example>',
        b" Name (c) <a@b.example>",
        b" group: <a@b.example>",
        b' "back\\slash" <a@b.example>',
        b" Name <a@b.example>, c@d.example",
    ):
        assert _SIMPLE_ADDRESS.fullmatch(value.strip()) is None, value
        assert _NAMED_ADDRESS.fullmatch(value.strip()) is None, value
        assert _parse_header_addresses(value) == _parse_general(value), value


_NAME = st.text(alphabet="aZ0 .'-!#é", min_size=1, max_size=10)


@settings(max_examples=500, deadline=None)
@given(_NAME, st.booleans(), st.sampled_from(["", " ", "  "]), _LOCAL, _DOMAIN, _SPACE, _SPACE)
def test_named_shortcut_equals_the_general_parser(
    name: str, quoted: bool, gap: str, local: str, domain: str, before: str, after: str
) -> None:
    shown = f'"{name}"' if quoted else name
    value = f"{before}{shown}{gap}<{local}@{domain}>{after}".encode()
    if _NAMED_ADDRESS.fullmatch(value.strip()) is not None:
        assert _parse_header_addresses(value) == _parse_general(value)
