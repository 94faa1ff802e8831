"""Signals this app sends to the apps above it (which it never imports)."""

from django.dispatch import Signal

# Sent inside ``gap_close`` when a manager decides what becomes of a gap's open actions:
# ``gap``, ``outcomes`` ({action id: "done" | "cancelled"}) and ``actor``. The actions
# app applies each outcome through its own service, in the same transaction.
gap_actions_decided = Signal()
