"""The server's tables, one module per part of the domain."""

from ..db import Base
from .accounts import InstallLink, OtpCode, StaffGrant, TokenFamily, User
from .business import (
    CallRecord,
    Customer,
    Invitation,
    Membership,
    Order,
    Organization,
    Product,
    QrToken,
)
from .collection import CollectedItem, IdempotencyRecord
from .consents import ConsentEvent, ConsentReceipt
from .devices import Device, DeviceIdentifier
from .outbox import OutboxMessage
from .policies import PolicyVersionRow
from .rights import AuditEntry, ChainHead, Incident, RightsRequest

__all__ = [
    "AuditEntry",
    "Base",
    "CallRecord",
    "ChainHead",
    "CollectedItem",
    "ConsentEvent",
    "ConsentReceipt",
    "Customer",
    "Device",
    "DeviceIdentifier",
    "IdempotencyRecord",
    "Incident",
    "InstallLink",
    "Invitation",
    "Membership",
    "Order",
    "Organization",
    "OtpCode",
    "OutboxMessage",
    "PolicyVersionRow",
    "Product",
    "QrToken",
    "RightsRequest",
    "StaffGrant",
    "TokenFamily",
    "User",
]
