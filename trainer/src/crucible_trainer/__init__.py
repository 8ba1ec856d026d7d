"""Crucible's trainer: exact data mixing, CPT and SFT stages, structured checkpoints."""

__version__ = "0.1.0"
