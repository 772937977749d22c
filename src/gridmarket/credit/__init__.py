"""Credit (rulebook §6): unsecured credit, financial security, EAL, credit checks, collateral calls.

| module | job |
|---|---|
| ``models`` | the tables |
| ``money`` | rounding to the cent, and which way |
| ``unsecured`` | UCL rules: rating %, uncapped UCL, the cap shared among affiliates |
| ``ucl`` | an SC's UCL and participation requirements from its stored profile |
| ``holdings`` | which financial security counts on a day |
| ``limits`` | ACL = UCL + FS − participation security |
| ``components`` | the EAL components and the registry of their providers |
| ``virtual_exposure`` | virtual bid exposure: quotes, and the EAL component |
| ``reference_prices`` | a location's reference price; the price-history provider hook |
| ``accounts`` | the per-SC account row and its lock |
| ``eal`` | computing and storing the EAL |
| ``reservations`` | the virtual bid credit check: reserve, release, cleared positions |
| ``calls`` | collateral calls and the suspension trigger |
| ``notices`` | utilisation warnings and call notices |
| ``profiles``, ``financial_security`` | what the credit analyst maintains |
| ``overview`` | "my credit" and the credit monitor |
| ``daily`` | the daily credit job |

See ``docs/credit.md``.
"""

# Importing the package registers the virtual bid exposure provider and the
# unmet-collateral-call suspension trigger.
from gridmarket.credit import calls as _calls
from gridmarket.credit import virtual_exposure as _virtual_exposure

__all__: list[str] = []
del _calls, _virtual_exposure
