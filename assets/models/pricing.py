"""What a model's tokens cost: a recipe's `generator.price`, per million tokens, online and batch.

Prices are the recipe's own figures (providers change theirs; nothing here looks them up). A
call's cost is `prompt_tokens * input + completion_tokens * output` per million, with the batch
prices for calls sent through a batch API; a generator without a price has calls of unknown
(NULL) cost, never a guessed one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from warehouse.settings import Strict

# How a call was sent: one request at a time (`online`) or in a provider's batch (`batch`).
CallMode = Literal["online", "batch"]

PER = 1_000_000


class Price(Strict):
    """Prices in the recipe's currency per million tokens. The batch prices default to the
    online ones (never an assumed discount: a budget must not undercount)."""

    input_per_million: float = Field(ge=0, description="Per million prompt tokens, online.")
    output_per_million: float = Field(ge=0, description="Per million completion tokens, online.")
    batch_input_per_million: float | None = Field(
        default=None, ge=0, description="Per million prompt tokens in a batch; default: online."
    )
    batch_output_per_million: float | None = Field(
        default=None, ge=0, description="Per million completion tokens in a batch; default: online."
    )

    def rates(self, mode: CallMode) -> tuple[float, float]:
        """(input, output) per million tokens for calls sent in `mode`."""
        if mode == "batch":
            return (
                self.input_per_million
                if self.batch_input_per_million is None
                else self.batch_input_per_million,
                self.output_per_million
                if self.batch_output_per_million is None
                else self.batch_output_per_million,
            )
        return self.input_per_million, self.output_per_million

    def cost(
        self, prompt_tokens: int | None, completion_tokens: int | None, mode: CallMode = "online"
    ) -> float:
        """The cost of one call's tokens (a count the server did not report counts as 0)."""
        rate_in, rate_out = self.rates(mode)
        return ((prompt_tokens or 0) * rate_in + (completion_tokens or 0) * rate_out) / PER


def call_cost(
    price: Price | None,
    prompt_tokens: int | None,
    completion_tokens: int | None,
    mode: CallMode = "online",
) -> float | None:
    """A call's cost; None without a price."""
    return None if price is None else price.cost(prompt_tokens, completion_tokens, mode)
