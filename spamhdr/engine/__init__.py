"""The header+meta rule engine (issue 4): compile a Config once, check many messages.

Owned by the lead engineer; being written now (see git log).
"""
