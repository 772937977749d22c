"""Settlement: charge codes from schedules, prices and meter data; statements; the ledger.

* :mod:`~gridmarket.settlement.codes`: the charge codes, their formulas and clearing accounts.
* :mod:`~gridmarket.settlement.inputs`: the engine's input frames (database or by hand).
* :mod:`~gridmarket.settlement.engine`: the pure, vectorised computation of one or more trade dates.
* :mod:`~gridmarket.settlement.store`: storing a balanced result (runs, statements, lines, ledger).
* :mod:`~gridmarket.settlement.statements`: initial and recalculation versions, diffs, CSV and PDF.

See ``docs/settlement.md``.
"""
