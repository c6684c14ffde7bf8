"""A run's spending limit (`synthesis.budget`), checked before each model call is sent.

Every call a run is about to send reserves its worst case first: one call, its prompt's
estimated tokens plus the sampling's `max_tokens`, and what those cost at its generator's
price. A call that would take the run past `max_calls`, `max_tokens` or `max_cost` is not
sent, nor is any call after it: the run stops with `BudgetExhausted`, naming the limit. When a
call comes back its reservation becomes what it really used. Calls answered from the call log
cost nothing and reserve nothing.

`max_calls` is exact. The token reservation is an upper bound on the completion (the server
stops at `max_tokens`) and an estimate of the prompt (`PROMPT_CHARS_PER_TOKEN` characters a
token, generous for English BPE vocabularies); a schema call that a server makes retry
(`schema_retries`) spends one attempt's reservation per try, so a budget in tokens or cost
should leave room for those.
"""

from __future__ import annotations

import math
import threading
from typing import Literal

from pydantic import Field

from assets.models.pricing import CallMode, Price
from warehouse.errors import UserError
from warehouse.settings import Strict

# Characters per token assumed for a prompt before the server has counted it: most English
# text runs about 4 a token, so 3 over-reserves rather than under.
PROMPT_CHARS_PER_TOKEN = 3
# Tokens a chat template adds around each message.
TOKENS_PER_MESSAGE = 4

Limit = Literal["max_calls", "max_tokens", "max_cost"]


class BudgetConfig(Strict):
    """`synthesis.budget`: limits on what one run of the synthesized stage may send."""

    max_cost: float | None = Field(
        default=None,
        gt=0,
        description="Cost (in the generators' price currency) the run's new calls may reach; "
        "needs a `price` on every generator.",
    )
    max_tokens: int | None = Field(
        default=None, gt=0, description="Prompt plus completion tokens of the run's new calls."
    )
    max_calls: int | None = Field(default=None, ge=0, description="New calls the run may send.")


class BudgetExhausted(UserError, RuntimeError):
    """The next call would take the run past a limit of its budget; nothing more is sent."""

    readme_section = "Prices, budgets and batch inference"

    def __init__(self, limit: Limit, message: str, request_hash: str):
        super().__init__(message)
        self.limit = limit
        self.request_hash = request_hash

    @property
    def rule(self) -> str:
        """The decision rule naming the limit, e.g. `budget.max_calls`."""
        return f"budget.{self.limit}"


def estimated_prompt_tokens(prompt_chars: int, messages: int) -> int:
    return math.ceil(prompt_chars / PROMPT_CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * messages


class Budget:
    """What one run has spent and reserved, against its `BudgetConfig`. Thread safe: the
    models of one step may be called from several threads."""

    def __init__(self, config: BudgetConfig):
        self.config = config
        self.calls = 0
        self.tokens = 0
        self.cost = 0.0
        # Calls sent (or about to be) whose results are not back: (tokens, cost) reserved.
        self._reserved: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()
        self.stopped: BudgetExhausted | None = None

    def reserve(
        self,
        request_hash: str,
        prompt_chars: int,
        messages: int,
        max_tokens: int,
        price: Price | None,
        mode: CallMode = "online",
    ) -> BudgetExhausted | None:
        """Reserve one call's worst case; the limit it would pass (as the error to raise once
        the calls in flight are done) instead, and from then on for every call."""
        tokens = estimated_prompt_tokens(prompt_chars, messages) + max_tokens
        prompt_tokens = tokens - max_tokens
        cost = price.cost(prompt_tokens, max_tokens, mode) if price is not None else 0.0
        config = self.config
        with self._lock:
            if self.stopped is not None:
                return self.stopped
            reserved_tokens = sum(t for t, _ in self._reserved.values())
            reserved_cost = sum(c for _, c in self._reserved.values())
            limit: Limit | None = None
            if config.max_calls is not None and self.calls + 1 > config.max_calls:
                limit = "max_calls"
            elif (
                config.max_tokens is not None
                and self.tokens + reserved_tokens + tokens > config.max_tokens
            ):
                limit = "max_tokens"
            elif config.max_cost is not None and (
                price is None or self.cost + reserved_cost + cost > config.max_cost
            ):
                limit = "max_cost"
            if limit is not None:
                self.stopped = BudgetExhausted(
                    limit, self._message(limit, price is None), request_hash
                )
                return self.stopped
            self.calls += 1
            self._reserved[request_hash] = (tokens, cost)
            return None

    def settle(
        self,
        request_hash: str,
        prompt_tokens: int | None,
        completion_tokens: int | None,
        cost: float | None,
    ) -> None:
        """A call came back: what it used replaces its reservation. A call whose server
        reported no usage keeps its reservation as spent (the budget never undercounts)."""
        with self._lock:
            reserved_tokens, reserved_cost = self._reserved.pop(request_hash, (0, 0.0))
            if prompt_tokens is None and completion_tokens is None:
                self.tokens += reserved_tokens
                self.cost += reserved_cost
                return
            self.tokens += (prompt_tokens or 0) + (completion_tokens or 0)
            self.cost += cost if cost is not None else reserved_cost

    def release(self, request_hash: str) -> None:
        """A reserved call that was never sent (dropped after a failure)."""
        with self._lock:
            if self._reserved.pop(request_hash, None) is not None:
                self.calls -= 1

    def _message(self, limit: Limit, unpriced: bool) -> str:
        value = getattr(self.config, limit)
        why = (
            "the next call's generator has no `price`, so its cost is unknown"
            if unpriced and limit == "max_cost"
            else "the next call would exceed it"
        )
        return (
            f"synthesis.budget.{limit} = {value:g} reached: {self.calls} calls sent in this run "
            f"({self.tokens} tokens, cost {self.cost:.6g} counted so far); {why}, so no more "
            "calls were sent. The calls made are in the call log: a re-run reuses them at no "
            "cost (raise the budget to go on)."
        )

    def figures(self) -> dict[str, float | int]:
        """What the run has spent (calls back or in flight), for metadata and decisions."""
        with self._lock:
            return {"calls": self.calls, "tokens": self.tokens, "cost": round(self.cost, 9)}
