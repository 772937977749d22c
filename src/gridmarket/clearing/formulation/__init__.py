"""The clearing formulation, one module per constraint family.

Each ``add_*`` function takes the :class:`~gridmarket.clearing.linear_model.LinearModel`
and one input table, adds that family's variables, constraints and costs as
vectorised blocks, and returns a small dataclass of index arrays used to read
the solution. :func:`~gridmarket.clearing.formulation.assemble.build_clearing_model`
puts the families together; a tighter formulation of one family can be swapped
in without touching the others.
"""
