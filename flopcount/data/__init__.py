"""Plain data tables: thresholds, accelerators, phase kinds, assumptions.

Every constant flopcount uses lives in one of these modules with its source beside it;
logic modules look values up here and never hide a number of their own.
"""
