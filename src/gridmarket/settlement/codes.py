"""The charge codes of rulebook §8, their formulas, and the ISO account each clears through.

Sign convention: an amount is positive when the account pays, negative when it
is paid; supply quantities are negative, demand positive; amount = quantity × price.

Example::

    >>> CLEARING_ACCOUNT[DA_ENERGY]
    'ISO_LOSS'
    >>> FORMULAS[RT_UNINSTRUCTED][:20]
    '(metered − expected)'
"""

from __future__ import annotations

DA_ENERGY = "6011"
"""DA energy: components ENERGY/CONGESTION/LOSS, DA schedule × DA price part."""
FMM_INSTRUCTED = "6460"
RTD_INSTRUCTED = "6470"
RT_UNINSTRUCTED = "6475"
VIRTUAL_LIQUIDATION = "6473"
RT_IMBALANCE_OFFSET = "6477"
RT_CONGESTION_OFFSET = "6774"
RT_LOSS_OFFSET = "6985"
IFM_CONGESTION_ALLOCATION = "IFM_CONG"
"""IFM congestion surplus allocated to measured demand *(assumed code)*."""
IFM_LOSS_ALLOCATION = "IFM_LOSS"
"""IFM marginal-loss surplus allocated to measured demand *(assumed code)*."""
LOSS_ADJUSTMENT = "ML_ADJ"
"""Marginal-loss adjustment of eligible scheduled quantities *(assumed code)*."""
BID_SEGMENT_FEE = "4515"
SCID_CHARGE = "SCID_FEE"
"""SCID charge, monthly, on the first trade date of the month *(assumed code)*."""
INTER_SC_TRADE = "IST"
"""Inter-SC energy trade at the DA LMP *(assumed code)*."""
DISPUTE_ADJUSTMENT = "DISPUTE_ADJ"
"""An accepted dispute's adjustment, funded by the ISO's fee account *(assumed code)*."""

ENERGY, CONGESTION, LOSS, TOTAL = "ENERGY", "CONGESTION", "LOSS", "TOTAL"

ISO_CONGESTION = "ISO_CONGESTION"
ISO_LOSS = "ISO_LOSS"
ISO_IMBALANCE = "ISO_IMBALANCE"
ISO_FEES = "ISO_FEES"
ISO_TRADES = "ISO_TRADES"
ISO_ACCOUNTS = (ISO_CONGESTION, ISO_LOSS, ISO_IMBALANCE, ISO_FEES, ISO_TRADES)
POOL_ACCOUNTS = (ISO_CONGESTION, ISO_LOSS, ISO_IMBALANCE, ISO_TRADES)
"""Clearing accounts that must net to exactly zero per trade date (fees are the ISO's revenue)."""

RT_CODES = (FMM_INSTRUCTED, RTD_INSTRUCTED, RT_UNINSTRUCTED, VIRTUAL_LIQUIDATION)
"""Real-time codes whose ISO-wide sum is returned by 6774, 6985 and 6477."""

CLEARING_ACCOUNT: dict[str, str] = {
    DA_ENERGY: ISO_LOSS,  # the ENERGY and LOSS parts; CONGESTION: see clearing_account()
    FMM_INSTRUCTED: ISO_IMBALANCE,
    RTD_INSTRUCTED: ISO_IMBALANCE,
    RT_UNINSTRUCTED: ISO_IMBALANCE,
    VIRTUAL_LIQUIDATION: ISO_IMBALANCE,
    RT_IMBALANCE_OFFSET: ISO_IMBALANCE,
    RT_CONGESTION_OFFSET: ISO_IMBALANCE,
    RT_LOSS_OFFSET: ISO_IMBALANCE,
    IFM_CONGESTION_ALLOCATION: ISO_CONGESTION,
    IFM_LOSS_ALLOCATION: ISO_LOSS,
    LOSS_ADJUSTMENT: ISO_LOSS,
    BID_SEGMENT_FEE: ISO_FEES,
    SCID_CHARGE: ISO_FEES,
    INTER_SC_TRADE: ISO_TRADES,
    DISPUTE_ADJUSTMENT: ISO_FEES,
}

FORMULAS: dict[str, str] = {
    DA_ENERGY: "DA schedule MWh (supply −) × DA LMP part (energy | congestion | loss), per hour",
    FMM_INSTRUCTED: "(FMM schedule − DA schedule) MW × 0.25 h (supply −) × FMM LMP, per 15 min",
    RTD_INSTRUCTED: "(RTD dispatch − FMM schedule) MW × 1/12 h (supply −) × RTD LMP, per 5 min",
    RT_UNINSTRUCTED: "(metered − expected) MWh (supply −) × RTD LMP, per 5 min",
    VIRTUAL_LIQUIDATION: "cleared virtual MW reversed × 0.25 h × FMM LMP at its location",
    RT_IMBALANCE_OFFSET: "−(RT imbalance pool − 6774 pool − 6985 pool) × demand share",
    RT_CONGESTION_OFFSET: "−(Σ RT quantities × RT congestion part) × demand share",
    RT_LOSS_OFFSET: "−(Σ RT quantities × RT loss part) × demand share",
    IFM_CONGESTION_ALLOCATION: "−(Σ 6011 congestion) × demand share",
    IFM_LOSS_ALLOCATION: "−(Σ 6011 energy + Σ 6011 loss + Σ ML_ADJ) × demand share",
    LOSS_ADJUSTMENT: "−(eligible DA schedule MWh (supply −) × DA loss part)",
    BID_SEGMENT_FEE: "segments accepted × bid segment fee rate",
    SCID_CHARGE: "SCID monthly charge, on the first trade date of the month",
    INTER_SC_TRADE: "traded MWh (seller −, buyer +) × DA LMP at the trade location",
    DISPUTE_ADJUSTMENT: "−(amount accepted by the ISO on a dispute)",
}

NAMES: dict[str, str] = {
    DA_ENERGY: "Day-ahead energy, congestion, loss",
    FMM_INSTRUCTED: "FMM instructed imbalance energy",
    RTD_INSTRUCTED: "RTD instructed imbalance energy",
    RT_UNINSTRUCTED: "Uninstructed imbalance energy",
    VIRTUAL_LIQUIDATION: "Virtual bid liquidation",
    RT_IMBALANCE_OFFSET: "Real-time imbalance energy offset",
    RT_CONGESTION_OFFSET: "Real-time congestion offset",
    RT_LOSS_OFFSET: "Real-time marginal losses offset",
    IFM_CONGESTION_ALLOCATION: "IFM congestion surplus allocation",
    IFM_LOSS_ALLOCATION: "IFM marginal-loss surplus allocation",
    LOSS_ADJUSTMENT: "Marginal-loss adjustment (eligible)",
    BID_SEGMENT_FEE: "Bid segment fee",
    SCID_CHARGE: "SCID monthly charge",
    INTER_SC_TRADE: "Inter-SC trade (energy)",
    DISPUTE_ADJUSTMENT: "Dispute adjustment",
}


COUNTED_UNITS: dict[str, str] = {BID_SEGMENT_FEE: "segment", SCID_CHARGE: "SCID"}
"""What a line's quantity counts where it is not energy (MWh), and its price is per."""


def clearing_account(charge_code: str, component: str) -> str:
    """The ISO account a line of ``charge_code`` / ``component`` clears through.

    Example::

        >>> clearing_account("6011", "CONGESTION"), clearing_account("6011", "LOSS")
        ('ISO_CONGESTION', 'ISO_LOSS')
    """
    if charge_code == DA_ENERGY and component == CONGESTION:
        return ISO_CONGESTION
    return CLEARING_ACCOUNT[charge_code]


def is_iso_account(account: str) -> bool:
    """Whether ``account`` is one of the ISO's own accounts (not an SCID).

    Example::

        >>> is_iso_account("ISO_FEES"), is_iso_account("DTGA")
        (True, False)
    """
    return account in ISO_ACCOUNTS
