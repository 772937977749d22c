"""The Master File: pricing nodes, aggregated nodes, resources and their SC over time."""
