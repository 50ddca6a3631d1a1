"""`python -m invoice_query [serve|rebuild|migrate]`."""

import sys

from invoice_query.entrypoints.cli import main

sys.exit(main())
