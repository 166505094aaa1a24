"""flopcount: training compute against the legal thresholds.

Convention: one multiply-add = 2 FLOP. Counts are exact Python ints; estimates with an
uncertainty are float64 intervals.
"""
__version__ = "0.1.0"
