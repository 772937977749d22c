"""Bids, self-schedules and inter-SC trades (rulebook §4): intake, validation, close."""
