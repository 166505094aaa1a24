"""What a path is: the one sniffing step every command calls (`estimate`, `record --plan`,
`import`, `plot`), so that all of them say the same thing about the same file.

`identify(path)` names the format it recognised — a recipe or finished run an importer
reads, or one of the inputs `estimate` reads itself (a run plan, a model config, a PEFT
adapter, a folder holding one, a model id in the local Hugging Face cache) — or raises one
line saying the file is not a format flopcount reads and listing those it does. Files are
only read as data (YAML/JSON parsed safely, scripts read as text); nothing is imported or run.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..boundary.errors import InputError
from .base import Imported, Importer
from .registry import PICKLE_SUFFIXES, _registry, find

if TYPE_CHECKING:
    from .recipe import Flags

#: Inputs `estimate` reads itself (no importer), in the order they are told apart.
DIRECT = ("run plan (flopcount_plan / phases)", "model config (config.json with model_type, or a flopcount_spec file)",
          "PEFT adapter_config.json", "a folder holding config.json or adapter_config.json",
          "a model id in the local Hugging Face cache")
#: What a file that no format claims looked like, by suffix (said before the list of formats).
LOOKED_LIKE = {
    ".py": "a Python file (flopcount never imports or runs Python; the only Python it reads, as text, is a "
           "torchtitan model or recipe registry)",
    ".sh": "a shell script without a launch line flopcount reads (Megatron-LM `--num-layers …` flags, or MaxText "
           "`MaxText.train CONFIG.yml key=value …`)",
    ".bash": "a shell script without a launch line flopcount reads",
    ".toml": "a TOML file",
}
KEYS_SHOWN = 6  # top-level keys of an unknown YAML/JSON named in the message


@dataclass(frozen=True)
class Format:
    name: str                        # the importer's name, or one of DIRECT's kinds
    importer: Importer | None = None  # None: estimate reads it directly (plan, config, adapter, model id)


def formats() -> str:
    """Every format flopcount reads, for the one line that refuses a file."""
    return "; ".join(DIRECT[:3]) + "; recipes and runs: " + ", ".join(i.name for i in _registry())


def unknown(path: Path, looked_like: str) -> InputError:
    return InputError(f"not a recipe, run, plan or model config flopcount reads ({looked_like}); it reads: {formats()}",
                      source=str(path))


def identify(path: str | Path) -> Format:
    """The format of `path`, or the one line that refuses it (InputError)."""
    p = Path(path)
    if p.is_file() and p.suffix.lower() in PICKLE_SUFFIXES:
        raise InputError("a pickle: loading it can run any code, so flopcount never does; give the run "
                         "folder (its trainer_state.json and config.json are read instead)", source=str(p))
    importer = find(p)
    if importer is not None:
        return Format(importer.name, importer)
    if "::" in str(p) and not p.exists():  # FILE::NAME picks a registry entry: a FILE no format claims is refused
        p = Path(str(p).split("::", 1)[0])  # as itself
    if not p.exists():
        from ..model.peft import cached_config
        if cached_config(str(path)) is not None:
            return Format(DIRECT[4])
        raise InputError("no such file or folder, nor a model id in the local Hugging Face cache (flopcount "
                         "never downloads)", source=str(p))
    if p.is_dir():
        from ..inputs.configs import FOLDER_FILES
        if any((p / name).is_file() for name in FOLDER_FILES):
            return Format(DIRECT[3])
        raise unknown(p, "a folder with no config.json, adapter_config.json, trainer_state.json or Lightning "
                         "metrics")
    suffix = p.suffix.lower()
    if suffix in (".json", ".yaml", ".yml"):
        from ..inputs.configs import NATIVE_KEY
        from ..boundary.fields import load_mapping
        from ..model.peft import is_adapter
        from ..inputs.plan import is_plan
        data = load_mapping(p)  # a malformed file is named as such, the same for every command
        if is_plan(data):
            return Format(DIRECT[0])
        if is_adapter(data):
            return Format(DIRECT[2])
        if "model_type" in data or NATIVE_KEY in data:
            return Format(DIRECT[1])
        keys = [str(k) for k in data]
        shown = ", ".join(keys[:KEYS_SHOWN]) + (f" and {len(keys) - KEYS_SHOWN} more" if len(keys) > KEYS_SHOWN else "")
        raise unknown(p, f"a {'JSON' if suffix == '.json' else 'YAML'} mapping whose keys ({shown or 'none'}) are "
                         "none of a known format's")
    raise unknown(p, LOOKED_LIKE.get(suffix, f"a {suffix or 'suffix-less'} file"))


def import_path(path: str | Path, flags: "Flags | None" = None) -> Imported:
    """The import of a recipe or run; anything else gets the one line `identify` gives it
    (the same line `estimate` and `record` give)."""
    from .recipe import Flags
    found = identify(path)
    if found.importer is None:
        raise InputError(f"a {found.name}: nothing to import; `flopcount estimate` and `record --plan` read it "
                         "directly", source=str(path))
    return found.importer.read(Path(path), flags or Flags())
