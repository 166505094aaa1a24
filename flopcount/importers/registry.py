"""The importers in sniffing order, and `find`, the first whose sniff recognises a path."""
from __future__ import annotations

from pathlib import Path

from .base import Importer


def _registry() -> list[Importer]:
    """Importers in sniffing order: the most specific shapes first."""
    from . import axolotl, hf_run, ledger, lightning_log, llamafactory, maxtext, megatron, megatron_bridge, nemo1, nemo_rl, neox, olmo, torchtitan, torchtitan_registry, trl
    return [Importer("hf-trainer-run", hf_run.sniff, hf_run.import_),
            Importer("flopcount-ledger", ledger.sniff, ledger.import_),
            Importer("lightning-log", lightning_log.sniff, lightning_log.import_),
            Importer("torchtitan", torchtitan.sniff, torchtitan.import_),
            Importer("torchtitan-registry", torchtitan_registry.sniff, torchtitan_registry.import_),
            Importer("megatron", megatron.sniff, megatron.import_),
            Importer("megatron-functional-test", megatron.sniff_functional, megatron.import_functional),
            Importer("gpt-neox", neox.sniff, neox.import_),
            Importer("olmo", olmo.sniff, olmo.import_),
            Importer("maxtext", maxtext.sniff, maxtext.import_),
            Importer("maxtext-script", maxtext.sniff_script, maxtext.import_script),
            Importer("nemo1", nemo1.sniff, nemo1.import_),
            Importer("nemo-rl", nemo_rl.sniff, nemo_rl.import_),
            Importer("megatron-bridge", megatron_bridge.sniff, megatron_bridge.import_),
            Importer("axolotl", axolotl.sniff, axolotl.import_),
            Importer("llama-factory", llamafactory.sniff, llamafactory.import_),
            Importer("trl", trl.sniff, trl.import_)]


def find(path: str | Path) -> Importer | None:
    """The importer whose sniff recognises `path` (None: not an importable recipe or run)."""
    p = Path(path)
    return next((imp for imp in _registry() if imp.sniff(p)), None)


#: Suffixes of files torch and the Trainer write with pickle (training_args.bin, *.pt).
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle")
