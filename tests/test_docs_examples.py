"""Every code and shell example in the documentation site (docs/**/*.md) and the README runs.

Collected with Sybil, one test per page, its examples in page order sharing one namespace
and one working folder (so a page can write a file in one block and read it in the next):

- ```python blocks (and `<!-- invisible-code-block: python -->` set-up a page hides) are
  executed;
- ```bash blocks: each command line runs (backslash continuations joined, comments dropped);
  `flopcount ...` through `flopcount.cli.main` in this process at 80 columns, `export X=Y`
  into the environment, anything else through bash; every one must exit 0;
- ```console blocks: `$ command` lines run the same way and the lines under each are its
  output, compared after stripping trailing spaces; `...` stands for any text (a hash);
- ```yaml title="NAME" blocks are written to NAME, as a reader would save them;
- `<!-- skip: next "reason" -->` skips the next block; each skip is listed as a skipped test
  with its page, line and reason, so none is silent.

The working folder is a fresh temporary one with `examples/`, `tests/`, `docs/` and
`notebooks/` linked from the repository, so examples run "from the repository root" as the
pages say, and whatever they write stays out of the checkout.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
from pathlib import Path
from unittest import SkipTest

import pytest
from sybil import Example, Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser
from sybil.parsers.markdown.codeblock import CodeBlockParser

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
LINKED = ("examples", "tests", "docs", "notebooks")
#: Fence info strings a page may use; anything else would be neither run nor skipped.
KNOWN_FENCES = re.compile(r"^(python|bash|console|text|json|yaml|yaml title=\"[^\"]+\")?$")
SKIP = re.compile(r"<!-- skip: next(.*?)-->")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# -- running commands ------------------------------------------------------------------------

def _flopcount(args: list[str]) -> tuple[int, str, str]:
    from flopcount.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as exit_:  # argparse's --help and usage errors
            code = exit_.code if isinstance(exit_.code, int) else 1
    return code or 0, out.getvalue(), err.getvalue()


def run_command(line: str) -> str:
    """One shell line of a page, run as the page means it; returns its standard output."""
    tokens = shlex.split(line, comments=True)
    if not tokens:
        return ""
    output = []
    # `a && b`: each part in turn, stopping at the first failure (an assertion here).
    parts, current = [], []
    for token in tokens:
        if token == "&&":
            parts.append(current)
            current = []
        else:
            current.append(token)
    parts.append(current)
    for part in parts:
        if part[0] == "flopcount":
            redirect = None
            if ">" in part:
                at = part.index(">")
                part, redirect = part[:at], part[at + 1]
            code, out, err = _flopcount(part[1:])
            assert code == 0, f"`{line}` exited {code}:\n{err}{out}"
            if redirect:
                Path(redirect).write_text(out)
            else:
                output.append(out)
        elif part[0] == "export":
            for assignment in part[1:]:
                name, _, value = assignment.partition("=")
                os.environ[name] = value
        else:
            done = subprocess.run(shlex.join(part), shell=True, capture_output=True, text=True)
            assert done.returncode == 0, f"`{line}` exited {done.returncode}:\n{done.stderr}"
            output.append(done.stdout)
    return "".join(output)


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def matches(expected: str, actual: str) -> bool:
    """Output as shown, trailing spaces aside; `...` in the shown output stands for any text."""
    expected, actual = _normalise(expected), _normalise(actual)
    pattern = ".*?".join(re.escape(piece) for piece in expected.split("..."))
    return re.fullmatch(pattern, actual, re.S) is not None


def bash_lines(source: str) -> list[str]:
    return [line for line in source.replace("\\\n", " ").splitlines() if line.strip()
            and not line.lstrip().startswith("#")]


def evaluate_bash(example: Example) -> None:
    for line in bash_lines(example.parsed):
        run_command(line)


def console_steps(source: str) -> list[tuple[str, str]]:
    steps: list[tuple[str, list[str]]] = []
    for line in source.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    return [(command, "\n".join(shown)) for command, shown in steps]


def evaluate_console(example: Example) -> None:
    for command, shown in console_steps(example.parsed):
        out = run_command(command)
        assert not shown.strip() or matches(shown, out), (
            f"{_rel(Path(example.path))}:{example.line}: `{command}` printed\n{out}\nnot what the page shows:\n{shown}")


class FileBlockParser(CodeBlockParser):
    """```yaml title="NAME": the page asks the reader to save this file; the test does."""

    def __init__(self) -> None:
        super().__init__(language="yaml")

    def __call__(self, document):
        for region in self.lexers(document):
            found = re.fullmatch(r'yaml title="([^"]+)"', region.lexemes["arguments"])
            if found:
                region.parsed = (found.group(1), region.lexemes["source"])
                region.evaluator = self.evaluate
                yield region

    def evaluate(self, example: Example) -> None:
        name, text = example.parsed
        Path(name).write_text(str(text))


SYBIL = Sybil(parsers=[PythonCodeBlockParser(), SkipParser(), FileBlockParser(),
                       CodeBlockParser("bash", evaluate_bash), CodeBlockParser("console", evaluate_console)])


# -- the tests -------------------------------------------------------------------------------

@pytest.fixture
def workdir(tmp_path, monkeypatch):
    for name in LINKED:
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for name in ("FLOPCOUNT_LEDGER_KEY_FILE", "FLOPCOUNT_LEDGER_KEY"):
        monkeypatch.delenv(name, raising=False)
    saved = dict(os.environ)
    yield tmp_path
    os.environ.clear()          # an `export` on a page lasts for that page only
    os.environ.update(saved)


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_page_examples_run(page, workdir):
    document = SYBIL.parse(page)
    document.namespace["__name__"] = "__docs__"
    for example in document.examples():
        try:
            example.evaluate()
        except SkipTest:  # listed with its reason by test_skipped_block_says_why
            continue


def _skips():
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for found in SKIP.finditer(text):
            line = text.count("\n", 0, found.start()) + 1
            yield pytest.param(page, line, found.group(1).strip(), id=f"{_rel(page)}:{line}")


@pytest.mark.parametrize("page, line, reason", list(_skips()))
def test_skipped_block_says_why(page, line, reason):
    """A skipped block is reported here with its reason (pytest -ra lists it)."""
    assert re.fullmatch(r'"[^"]{10,}"', reason), f"{_rel(page)}:{line}: a skip needs a quoted reason"
    pytest.skip(f"{_rel(page)}:{line}: {reason.strip(chr(34))}")


def test_every_fence_is_run_or_shown_as_text():
    """A code block in a language this collection does not run would silently not be tested."""
    unknown = []
    for page in PAGES:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            fence = re.match(r"^\s*```(.*)$", line)
            if fence and not KNOWN_FENCES.match(fence.group(1).strip()):
                unknown.append(f"{_rel(page)}:{number}: ```{fence.group(1)}")
    assert not unknown, unknown


def test_console_matching():
    assert matches("a: 3 rows, head ...: OK\n  - x  \n", "a: 3 rows, head 97a5f: OK\n  - x\n")
    assert not matches("a: 3 rows", "a: 4 rows")
    assert console_steps("$ ls\nx\ny\n$ pwd\n") == [("ls", "x\ny"), ("pwd", "")]
    assert bash_lines("# c\nflopcount a \\\n    --b 1  # x\n\n") == ["flopcount a      --b 1  # x"]
