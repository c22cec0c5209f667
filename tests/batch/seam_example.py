"""A stand-in trade function for testing the seam (not a trade-list algorithm): sell every
share of a product the investor's level does not allow, in the accounts that need a trade."""

from __future__ import annotations

import numpy as np

from roboadvisor.batch.step import TradeArrays, TradeInputs, trigger_bit
from roboadvisor.domain.review import Trigger


def sell_above_level(inputs: TradeInputs) -> TradeArrays:
    sell = (inputs.shares > 0) & ~inputs.allowed & inputs.needs_trade[:, None]
    account, asset = np.nonzero(sell)
    return TradeArrays(account[::-1], asset[::-1], -inputs.shares[account, asset][::-1],
                       np.full(len(account), trigger_bit(Trigger.UNSUITABLE_HOLDINGS),
                               dtype=np.uint8))
