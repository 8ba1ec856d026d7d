"""How the next token is chosen: arg-max (temperature 0) or a draw from the row's own generator.

Each prompt samples with its own `torch.Generator`, seeded from the request's seed and the
prompt's place in it, and the draw is made on the CPU from the row's probabilities alone: a
prompt's output depends on the seed, the checkpoint and the prompt, never on what it is batched
with or on the device's random state. Nucleus filtering (top_p) keeps the smallest set of most
likely tokens whose probabilities reach top_p (ties broken by token id, so the set is exact).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Decoding:
    """Decoding parameters as users know them. temperature 0 is greedy (top_p and seed unused)."""

    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0


GREEDY = Decoding()


class Picker:
    """Chooses each row's next token from its last logits.

    Example:
        pick = Picker(Decoding(temperature=0.8, top_p=0.9, seed=7), seeds=[7, 8])
        tokens = pick(logits)  # logits: [2, vocab] -> two token ids
    """

    def __init__(self, decoding: Decoding, seeds: Sequence[int]):
        self.decoding = decoding
        self.generators = (
            None
            if decoding.temperature == 0
            else [torch.Generator().manual_seed(seed) for seed in seeds]
        )

    def __call__(self, logits: torch.Tensor) -> torch.Tensor:
        if self.generators is None:
            return logits.argmax(-1)  # the first maximum: ties go to the lowest id
        drawn = [self._draw(row, g) for row, g in zip(logits, self.generators, strict=True)]
        return torch.tensor(drawn, dtype=torch.long, device=logits.device)

    def _draw(self, logits: torch.Tensor, generator: torch.Generator) -> int:
        probs = torch.softmax(logits.detach().float().cpu() / self.decoding.temperature, dim=-1)
        if self.decoding.top_p < 1:
            ranked, order = probs.sort(descending=True, stable=True)
            # keep a token while the mass ranked above it is still short of top_p (the first always)
            keep = (ranked.cumsum(0) - ranked) < self.decoding.top_p
            probs = torch.zeros_like(probs).scatter(0, order[keep], ranked[keep])
        return int(torch.multinomial(probs, 1, generator=generator))
