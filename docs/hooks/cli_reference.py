"""MkDocs hook: the CLI reference page, generated at build time from each command's --help.

Runs `python -m flopcount <command> --help` (and each `plot` kind's) at 80 columns, so the
page is what a user's terminal prints and can never drift from the parser.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

from mkdocs.structure.files import File

PAGE = "reference/cli.md"


def _help(*args: str) -> str:
    env = {**os.environ, "COLUMNS": "80"}
    out = subprocess.run([sys.executable, "-m", "flopcount", *args, "--help"], capture_output=True,
                         text=True, env=env, check=True)
    return out.stdout.rstrip()


def _commands(top: str) -> list[str]:
    """The sub-commands a parser's help lists under its COMMAND/KIND choices, in order."""
    section = top.split("positional arguments:", 1)[-1].split("\noptions:", 1)[0]
    return re.findall(r"^    ([a-z][a-z-]*)(?:\s|$)", section, re.M)


def markdown() -> str:
    top = _help()
    parts = ["# Command line\n",
             "Generated when the site is built, from `flopcount COMMAND --help` at 80 columns.\n",
             "```text\n$ flopcount --help\n" + top + "\n```\n"]
    for command in _commands(top):
        text = _help(command)
        parts.append(f"## flopcount {command}\n\n```text\n$ flopcount {command} --help\n{text}\n```\n")
        if command == "plot":
            for kind in _commands(text):
                parts.append(f"### flopcount plot {kind}\n\n```text\n$ flopcount plot {kind} --help\n"
                             f"{_help('plot', kind)}\n```\n")
    return "\n".join(parts)


def on_files(files, config):
    files.append(File.generated(config, PAGE, content=markdown()))
    return files
