"""--anonymize must mask every IP address and e-mail local part, and nothing else."""

from __future__ import annotations

import pytest

from spamhdr.anonymize import anonymize_text, anonymize_value

CASES = [
    ("from mx.example.org ([203.0.113.7])", "from mx.example.org ([192.0.2.x])"),
    ("<jane.doe+tag@example.org>", "<xxx@example.org>"),
    ('"Jane Doe"@example.org', "xxx@example.org"),
    ("by [IPv6:2001:db8:85a3::8a2e:370:7334]", "by [IPv6:2001:db8::x]"),
    ("client ::ffff:198.51.100.2 port", "client 2001:db8::x port"),
    ("fe80::1%eth0", "2001:db8::x%eth0"),
    # Things that look similar but are not addresses stay as they are.
    ("Date: Tue, 1 Oct 2024 12:30:01 +0200", "Date: Tue, 1 Oct 2024 12:30:01 +0200"),
    ("version=4.0.1 score=1000.0", "version=4.0.1 score=1000.0"),
    ("std::vector and 1.2.3.4.5.6", "std::vector and 1.2.3.4.5.6"),
    # A quoted bare domain key has no local part to mask.
    ("via '@example.com' (priority 5)", "via '@example.com' (priority 5)"),
    ("o'brien@example.com", "xxx@example.com"),
]


@pytest.mark.parametrize(("text", "masked"), CASES)
def test_anonymize_text(text: str, masked: str) -> None:
    assert anonymize_text(text) == masked


def test_anonymize_value_reaches_nested_strings_and_keys() -> None:
    value = {"a@b.example": ["10.1.2.3", {"x": "u@v.example"}], "n": 3}
    assert anonymize_value(value) == {
        "xxx@b.example": ["192.0.2.x", {"x": "xxx@v.example"}],
        "n": 3,
    }


def test_marks_never_cut_an_address_when_widened() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from spamhdr.anonymize import widen_to_regions

    text = "From: Jane <jane.doe@example.org> via [203.0.113.7] and 2001:db8::5 end"

    @given(st.integers(0, len(text)), st.integers(0, len(text)))
    def check(a: int, b: int) -> None:
        start, end = widen_to_regions(text, min(a, b), max(a, b))
        shown = anonymize_text(f"{text[:start]}»{text[start:end]}«{text[end:]}")
        for secret in ("jane.doe", "203.0.113.7", "2001:db8::5"):
            assert secret not in shown

    check()
