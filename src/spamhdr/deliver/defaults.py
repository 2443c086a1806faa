"""ISPConfig's seven install-time ``spamfilter_policy`` rows (spec §5.1).

Input: nothing. Output: :data:`DEFAULT_POLICIES`, a tuple of rows with the values of
``install/sql/ispconfig3.sql`` (levels as ``DECIMAL(5,2)`` since ``upd_0085``) and the rspamd
columns of ``upd_0088``. ``''`` and NULL are kept apart exactly as in the SQL: Normal and
Non-paying have ``spam_quarantine_to = ''`` (no quarantine) and quarantine/DSN cutoffs of
0, the others leave those columns NULL (fall through to the static ``50-user`` values).
The static amavis settings live in :class:`spamhdr.deliver.model.Server`'s defaults.
"""

from __future__ import annotations

from spamhdr.deliver.model import SpamfilterPolicy

__all__ = ["DEFAULT_POLICIES", "default_policy"]


def _row(
    id: int,
    name: str,
    lovers: str,
    bypass: str,
    modsubj: str,
    levels: tuple[float, float, float, float | None, float | None],
    qto: str | None,
    subj: tuple[str | None, str | None],
    rspamd: tuple[str, float, float, str, float],
) -> SpamfilterPolicy:
    tag, tag2, kill, dsn, qcut = levels
    grey, grey_level, rtag, method, rkill = rspamd
    return SpamfilterPolicy(
        id=id,
        policy_name=name,
        virus_lover=lovers[0],
        spam_lover=lovers[1],
        banned_files_lover=lovers[2],
        bad_header_lover=lovers[3],
        bypass_virus_checks=bypass[0],
        bypass_spam_checks=bypass[1],
        bypass_banned_checks=bypass[2],
        bypass_header_checks=bypass[3],
        spam_modifies_subj=modsubj,
        spam_quarantine_to=qto,
        spam_tag_level=float(tag),
        spam_tag2_level=float(tag2),
        spam_kill_level=float(kill),
        spam_dsn_cutoff_level=None if dsn is None else float(dsn),
        spam_quarantine_cutoff_level=None if qcut is None else float(qcut),
        spam_subject_tag=subj[0],
        spam_subject_tag2=subj[1],
        rspamd_greylisting=grey,
        rspamd_spam_greylisting_level=grey_level,
        rspamd_spam_tag_level=rtag,
        rspamd_spam_tag_method=method,
        rspamd_spam_kill_level=rkill,
    )


_RS = "rewrite_subject"

#: The seven default policies, table of spec §5.1 (lovers V/S/B/H, bypass V/S/B/H).
DEFAULT_POLICIES: tuple[SpamfilterPolicy, ...] = (
    _row(1, "Non-paying", "NNNN", "YYYN", "Y", (3, 7, 10, 0, 0), "", ("", ""),
         ("n", 6.0, 8.0, _RS, 12.0)),
    _row(2, "Uncensored", "YYYY", "NNNN", "N", (3, 999, 999, None, None), None, (None, None),
         ("n", 999.0, 999.0, _RS, 999.0)),
    _row(3, "Wants all spam", "NYNN", "NNNN", "Y", (3, 999, 999, None, None), None,
         (None, None), ("n", 999.0, 999.0, _RS, 999.0)),
    _row(4, "Wants viruses", "YNYY", "NNNN", "Y", (3, 6.9, 6.9, None, None), None,
         (None, None), ("y", 4.0, 6.0, _RS, 10.0)),
    _row(5, "Normal", "NNNN", "NNNN", "Y", (1, 4.5, 50, 0, 0), "", ("", "***SPAM***"),
         ("y", 4.0, 6.0, _RS, 10.0)),
    _row(6, "Trigger happy", "NNNN", "NNNN", "Y", (3, 5, 5, None, None), None, (None, None),
         ("y", 2.0, 4.0, _RS, 8.0)),
    _row(7, "Permissive", "NNNY", "NNNN", "Y", (3, 10, 20, None, None), None, (None, None),
         ("n", 7.0, 10.0, _RS, 20.0)),
)  # fmt: skip


def default_policy(policy_id: int) -> SpamfilterPolicy | None:
    """The built-in row with this id, or None."""
    for row in DEFAULT_POLICIES:
        if row.id == policy_id:
            return row
    return None
