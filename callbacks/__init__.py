"""Training-framework adapters, imported as `flopcount.callbacks.*` (never `callbacks`).

- `flopcount.callbacks.pytorch`: plain loops (`StepTracker`), no framework needed;
- `flopcount.callbacks.hf`: HuggingFace `Trainer` (`FlopcountCallback`);
- `flopcount.callbacks.lightning`: Lightning (`FlopcountLightningCallback`).
Each maps its framework's hooks onto `flopcount.run.ComputeMonitor` and imports its
framework itself, so the core never needs it.
"""
