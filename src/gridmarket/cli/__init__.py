"""The `gridmarket` command line."""
