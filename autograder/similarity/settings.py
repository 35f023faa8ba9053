"""How similar is similar: the fingerprint lengths and the review threshold (no heavy imports,
so the command line can show the defaults)."""

from __future__ import annotations

from dataclasses import dataclass

# Lengths in symbols of the text copydetect compares (a name is one symbol, spaces none).
NOISE = 25  # shorter runs in common are noise (copydetect's default)
GUARANTEE = 30  # any run this long in common is found
THRESHOLD = 0.5  # pairs scoring at least this are listed for review


@dataclass(frozen=True)
class Settings:
    noise: int = NOISE
    guarantee: int = GUARANTEE
    threshold: float = THRESHOLD

    @property
    def window(self) -> int:
        """copydetect's winnowing window: the guarantee holds for runs this many hashes long."""
        return self.guarantee - self.noise + 1
