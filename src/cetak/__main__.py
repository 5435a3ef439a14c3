"""`python -m cetak` runs the `cetak` command."""

import sys

from cetak.cli import main

sys.exit(main())
