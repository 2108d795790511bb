"""The importer of each kind, by the name ``kam import`` takes."""

from __future__ import annotations

from handlers.csvimport.accounts import AccountImporter
from handlers.csvimport.base import CHANNEL, Importer
from handlers.csvimport.records import ContactImporter, DealImporter
from handlers.csvimport.users import TeamImporter, UserImporter

__all__ = ["CHANNEL", "importers"]


def importers() -> dict[str, type[Importer]]:
    from handlers.csvimport.finance import InvoiceImporter, PaymentImporter

    return {
        "users": UserImporter,
        "teams": TeamImporter,
        "accounts": AccountImporter,
        "contacts": ContactImporter,
        "deals": DealImporter,
        "invoices": InvoiceImporter,
        "payments": PaymentImporter,
    }
