"""wangdi 网底 — registry, policy packs and evaluation for county rural health capacity plans."""

__version__ = "0.1.0"
