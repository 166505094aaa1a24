"""The `flopcount` command line: one thin module per command over the library API.

`main` (the console script) and `build_parser` live in `flopcount.cli.main`.
"""
from .main import EXAMPLES, EXIT_INPUT, build_parser, main

__all__ = ["EXAMPLES", "EXIT_INPUT", "build_parser", "main"]
