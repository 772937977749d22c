"""Every area's tables, imported in one place so the metadata (and Alembic) sees them all."""

from gridmarket.access import models as access_models
from gridmarket.bidding import models as bidding_models
from gridmarket.credit import models as credit_models
from gridmarket.db.base import Base
from gridmarket.jobs import models as jobs_models
from gridmarket.markets import models as markets_models
from gridmarket.markets import run_models as market_run_models
from gridmarket.metering import models as metering_models
from gridmarket.network import models as network_models
from gridmarket.participants import loss_eligibility_models as loss_eligibility_models
from gridmarket.participants import models as participants_models
from gridmarket.resources import models as resources_models
from gridmarket.settlement import billing_models as billing_models
from gridmarket.settlement import models as settlement_models

__all__ = [
    "Base",
    "access_models",
    "bidding_models",
    "billing_models",
    "credit_models",
    "jobs_models",
    "market_run_models",
    "markets_models",
    "metering_models",
    "network_models",
    "participants_models",
    "resources_models",
    "settlement_models",
]
