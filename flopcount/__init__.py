"""flopcount: training compute against the legal thresholds.

Convention: one multiply-add = 2 FLOP. Counts are exact Python ints; estimates with an
uncertainty are float64 intervals. The core needs no deep-learning framework; measured
counting (`flopcount.measure`) and the training adapters (`flopcount.callbacks`) import
torch and their frameworks only when used.
"""
__version__ = "0.1.0"

from . import _moved  # noqa: E402

_moved.install()  # old import paths (flopcount.monitor, flopcount.record, ...) keep working

from .inputs.configs import load_spec, spec_from_mapping  # noqa: E402
from .boundary.errors import InputError  # noqa: E402
from .law.estimate import estimate  # noqa: E402
from .model.formulas import forward_flops, kaplan_6nd, training_flops  # noqa: E402
from .run import ComputeMonitor, ThresholdWarning  # noqa: E402
from .inputs.plan import load_plan  # noqa: E402
from .model.spec import ModelSpec, count_parameters  # noqa: E402

_moved.bind("flopcount.estimate")  # the old module path; `flopcount.estimate` stays the function

__all__ = ["ComputeMonitor", "InputError", "ModelSpec", "ThresholdWarning", "__version__", "count_parameters",
           "estimate", "forward_flops", "kaplan_6nd", "load_plan", "load_spec", "spec_from_mapping",
           "suite", "training_flops"]


def __getattr__(name: str):
    """`flopcount.suite(...)` imports pandas only when called (importing flopcount does not)."""
    if name == "suite":
        from .records.suite import suite
        return suite
    raise AttributeError(f"module 'flopcount' has no attribute {name!r}")
