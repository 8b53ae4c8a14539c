"""The hub audit log: every change to a hub's settings, whichever app makes it, is written here.

Any app's service calls hub_audit_record inside its own transaction, so the row exists exactly when the
change does. Leads read the log on /staff/<hub>/settings/audit/.
"""

from __future__ import annotations

from typing import Any

from .models import Hub, HubAuditEntry, User


def _plain(value: Any) -> Any:
    """Values as JSON can keep them: dates and other objects become their text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def hub_audit_record(hub: Hub, by: User | None, what: str, before: dict | None = None,
                     after: dict | None = None, *, subject: str = "") -> HubAuditEntry:
    """Write one audit row: `what` changed on `subject`, from `before` to `after`, by `by`.

    Only the keys whose values differ are kept (a form saved unchanged records nothing new to read),
    unless nothing differs, when both are kept whole (a creation or a removal has one side empty)."""
    before, after = _plain(before or {}), _plain(after or {})
    if before and after:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        if changed:
            before = {k: v for k, v in before.items() if k in changed}
            after = {k: v for k, v in after.items() if k in changed}
    by_name = f"{by.get_full_name()} ({by.email})" if by is not None and by.full_name else getattr(by, "email", "")
    return HubAuditEntry.objects.create(hub=hub, by=by, by_name=by_name[:300], what=what[:200],
                                        subject=subject[:300], before=before, after=after)
