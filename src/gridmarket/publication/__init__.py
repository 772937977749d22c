"""Public data in the ISO's public formats (rulebook §10).

* :mod:`~gridmarket.publication.oasis`: the ``SingleZip`` query, its
  validation and the OASIS error codes.
* :mod:`~gridmarket.publication.oasis_reports`: the reports (``PRC_LMP``,
  ``PRC_INTVL_LMP``, ``PRC_RTPD_LMP``, ``PRC_AS``, ``PRC_INTVL_AS``, ``SLD_FCST``)
  and their rows.
* :mod:`~gridmarket.publication.oasis_load`: the load forecast (``SLD_FCST``).
* :mod:`~gridmarket.publication.oasis_files`: CSV and XML rendering, the file
  names and the ZIP.

See ``docs/oasis.md`` for what was confirmed against the real CAISO OASIS and
what is assumed.

Example::

    query = parse_query({"queryname": "PRC_LMP", "market_run_id": "DAM", "version": "12",
                         "startdatetime": "20200715T07:00-0000",
                         "enddatetime": "20200716T07:00-0000", "resultformat": "6"},
                        max_days=31)
"""
