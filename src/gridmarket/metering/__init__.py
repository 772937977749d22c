"""Metering (rulebook §9): SC-submitted SQMD, ISO-collected meter data, estimates, loss factors.

Settlement reads one interface: :func:`gridmarket.metering.queries.settlement_meter_values`.
"""
