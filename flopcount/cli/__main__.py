"""`python -m flopcount.cli`, the same as `flopcount`."""
import sys

from .main import main

sys.exit(main())
