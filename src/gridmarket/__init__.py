"""gridmarket: an electricity ISO market and the scheduling coordinators who trade in it."""

__version__ = "0.1.0"
