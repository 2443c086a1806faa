"""``python -m spamhdr`` runs the command line."""

import sys

from spamhdr.cli import main

sys.exit(main())
