"""Synthetic census (labelled synthetic everywhere it appears)."""

from wangdi.synth.generator import synthesise
from wangdi.synth.params import SynthParams

__all__ = ["SynthParams", "synthesise"]
