"""HTTP client for Gameball's REST API v4.0. Knows nothing of Telegram."""

from bot.gameball.client import GameballClient
from bot.gameball.errors import (
    GameballError,
    NotFound,
    Rejected,
    Skipped,
    Unauthorized,
    Unavailable,
)
from bot.gameball.models import (
    CustomerAttributes,
    CustomerBalance,
    CustomerDetails,
    TierProgress,
    TierState,
    UpsertCustomerRequest,
    UpsertCustomerResponse,
)

__all__ = [
    "CustomerAttributes",
    "CustomerBalance",
    "CustomerDetails",
    "GameballClient",
    "GameballError",
    "NotFound",
    "Rejected",
    "Skipped",
    "TierProgress",
    "TierState",
    "Unauthorized",
    "Unavailable",
    "UpsertCustomerRequest",
    "UpsertCustomerResponse",
]
