"""Sub-commands of the ``spamhdr`` CLI, one module each (see ``spamhdr.cli``)."""
