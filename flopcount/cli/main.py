"""The `flopcount` command: its parser, the examples under every `--help`, and `main`.

Each command is one thin module of this package over the library API (`estimate`,
`tables`, `imports`, `measure`, `plot`, `record`, `obligations`, `suite`; `status`,
`verify`, `checkpoint` and `keygen` come with the ledger's records). Bad input of any kind
prints one line naming the file and field and exits with status 2; no traceback reaches
the user for an input problem.
"""
from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from .. import __version__
from ..boundary.errors import InputError

EXIT_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own exit status is also 2
        self.exit(EXIT_INPUT, f"flopcount: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="flopcount", description="Training compute against the legal thresholds "
                     "(convention: 1 multiply-add = 2 FLOP).")
    parser.add_argument("--version", action="version", version=f"flopcount {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    from . import estimate, tables
    estimate.add_parser(sub)
    tables.add_parsers(sub)
    from .measure import add_parser as add_measure  # imports torch only when run
    add_measure(sub)
    from .ledger import add_parsers as add_status
    add_status(sub)
    from .plot import add_parser as add_plot
    add_plot(sub)
    from .record import add_parser as add_record
    add_record(sub)
    from .imports import add_parser as add_import
    add_import(sub)
    from .obligations import add_parser as add_obligations
    add_obligations(sub)
    from .suite import add_parser as add_suite
    add_suite(sub)
    for name, command in sub.choices.items():  # examples under every subcommand's --help
        command.epilog = "examples:\n" + "\n".join(f"  {line}" for line in EXAMPLES.get(name, ()))
        command.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "run `flopcount COMMAND --help` for a command's options and examples"
    return parser


#: Invocations shown under each subcommand's --help. Those naming examples/ run as written
#: from the repository root (tested); ledgers, keys and factories stand for the reader's own.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "estimate": ("flopcount estimate examples/plans/llama-3.1-405b.yaml",
                 "flopcount estimate examples/configs/llama-3.1-8b.json --tokens 15T",
                 "flopcount estimate --params 70B --tokens 2T --json",
                 "flopcount estimate --accelerator h100 --gpus 25000 --days 90 --utilization 0.4"),
    "accelerators": ("flopcount accelerators", "flopcount accelerators --json"),
    "obligations": ("flopcount obligations examples/obligations/open-70b.yaml --as-of 2026-12-02",
                    "flopcount obligations examples/obligations/open-70b.yaml --json"),
    "thresholds": ("flopcount thresholds",),
    "measure": ("flopcount measure examples/configs/llama-3.1-8b.json --seq-len 8192",
                "flopcount measure my_models:build --batch 8 --seq-len 2048"),
    "status": ("flopcount status compute.db", "flopcount status postgresql://user@host/ledger --json"),
    "verify": ("flopcount verify compute.db",
               "flopcount verify copy.db --key provider.key.pub --expect head.json"),
    "checkpoint": ("flopcount checkpoint compute.db --key provider.key -o heads/day1.json",),
    "keygen": ("flopcount keygen provider.key",),
    "import": ("flopcount import out/ --seq-len 2048 > plan.yaml",
               "flopcount import tests/recipes/torchtitan/llama3_8b.toml --gpus 64"),
    "suite": ("flopcount suite tests/recipes/neox/pythia-suite.yaml",
              "flopcount suite tests/recipes/neox/pythia-suite.yaml -o out/pythia --format json",
              "flopcount suite recipes/ --checkpoints 0,every:1000 --vocab-size 50277 --gpus 64"),
    "plot": ("flopcount plot planning -o planning.png",
             "flopcount plot run compute.db --planned-steps 100000 -o run.png"),
    "record": ("flopcount record --plan examples/plans/gpt3-175b.yaml -o out/gpt3",
               "flopcount record --ledger compute.db --model my-model -o out/my-model",
               "flopcount record --check out/my-model.json --key provider.key.pub"),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:  # bare `flopcount`: what it can do, not an error
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except InputError as exc:
        print(f"flopcount: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
