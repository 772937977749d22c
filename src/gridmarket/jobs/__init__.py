"""Background jobs: market closes and runs, settlement, invoicing, daily credit and obligations.

``catalog`` names the jobs and their queues, ``work`` does each through the
areas' services, ``perform`` makes each happen once, ``queue`` puts them on
the PostgreSQL queue (or runs them in process on SQLite) and ``schedule``
finds the ones that are due. See ``docs/deployment.md``.
"""
