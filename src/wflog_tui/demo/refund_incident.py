"""The incident the demo stages: a new version of Hooli's Stripe Refund Handler breaks on
refunds in yen.

About 50 minutes before the seed's "now", version `…_v9` was deployed. It sends the
refunded amount with two decimals, which HubSpot refuses for a zero-decimal currency, so
every refund in JPY fails at "Log Refund on Contact"; refunds in dollars still pass. The
error names neither the version nor the currency, and its request id changes with every
run. A newcomer opening the failure groups sees a NEW group, and its top splitter,
`input.data.object.currency = "jpy"`, is the answer the error message never gives.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Final

from wflog_tui.demo.workflows import (
    CATALOG,
    ORGS,
    Failure,
    RunScript,
    Scenario,
    build_run,
    definition_ids,
)
from wflog_tui.model import status as st

INCIDENT_AGO: Final = timedelta(minutes=50)
# One run in this many is in yen: rare enough that the version alone does not explain it.
_YEN_SHARE: Final = 0.35
_WORKFLOW: Final = CATALOG["stripe_refund_handler"]
_HOOLI: Final = next(org for org in ORGS if org.id == "org_hooli")
_HOOLI_IN_YEN: Final = replace(_HOOLI, currency="JPY")
NEW_VERSION: Final = (
    definition_ids(_HOOLI, _WORKFLOW)["workflow_version_id"].rsplit("_v", 1)[0] + "_v9"
)


def incident_run(rng: random.Random, started_at: datetime) -> RunScript:
    """One run of the new version: a refund in yen fails, one in dollars completes."""
    in_yen = rng.random() < _YEN_SHARE
    if in_yen:
        amount = rng.choice((900, 2900, 4900, 9900, 19900))
        correlation = uuid.UUID(int=rng.getrandbits(128), version=4)
        error = Failure(
            f"Property 'refund_amount' is invalid: {amount:.2f} (correlationId {correlation})",
            "HubSpotValidationError",
        )
        scenario = Scenario(st.FAILED, fail_step="log_refund", error=error)
        org = _HOOLI_IN_YEN
    else:
        scenario, org = Scenario(st.COMPLETED), _HOOLI
    script = build_run(_WORKFLOW, org, scenario, started_at, seed=rng.getrandbits(48), pick=rng)
    script.org = _HOOLI  # the yen copy only set the refund's currency
    script.workflow_version_id = NEW_VERSION
    return script


def incident_starts(rng: random.Random, now: datetime, count: int) -> list[datetime]:
    """When the seeded runs of the new version started: since the deploy, oldest first."""
    span = INCIDENT_AGO.total_seconds() - 60
    return sorted(now - timedelta(seconds=60 + rng.uniform(0, span)) for _ in range(count))
