"""The audit trail: every upload, analysis, threshold change, edit and deletion.

Events are written by a session listener in the same transaction as the
change they describe, so a change is never stored without its audit event
nor an event without its change, whichever service made it. Each event
records who (the API key's name, ``anonymous`` with access control off,
``system`` outside a request), when, the action, the object ids, the
values before and after, and the request id.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.orm import Session, sessionmaker

from mmt.security.models import ApiKey, AuditEvent
from mmt.storage.models import AnalysisResult, Dataset, Job, ThresholdChange, utc_now

# Dataset fields a user may change after upload, and the metadata kept for uploads and deletions.
DATASET_EDITABLE = ("name", "description", "is_baseline")
DATASET_METADATA = ("model_type", "name", "description", "original_filename", "sha256", "size_bytes",
                    "n_rows", "n_columns", "is_baseline", "parquet_sha256")
# Larger request payloads are summarised in the audit trail.
MAX_PAYLOAD_CHARS = 4000
# Attribute that marks a sessionmaker whose sessions record audit events.
_INSTALLED = "_mmt_audit_installed"
# Session.info key of the threshold event of the open transaction.
_THRESHOLD_EVENT = "mmt_audit_threshold_event"


def current_actor() -> tuple[str, str | None, str | None]:
    """Return (who, role, request id) of the code running now."""
    if not has_request_context():
        return "system", None, None
    return (getattr(g, "api_user", None) or "anonymous", getattr(g, "api_role", None),
            getattr(g, "request_id", None))


def install(session_factory: sessionmaker) -> None:
    """Record audit events for every session made by ``session_factory``."""
    # The mark lives on the factory itself. With SQLAlchemy 2.1.9, sa.event.contains() returned True
    # for most new sessionmakers once earlier ones with the listener had been garbage collected, so
    # the listener was skipped and their changes went unaudited (test_audit shows it).
    if getattr(session_factory, _INSTALLED, False):
        return
    sa.event.listen(session_factory, "after_flush", _after_flush)
    setattr(session_factory, _INSTALLED, True)


def _value(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _loaded(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    # Only attributes already in memory: loading one inside a flush would query a row being deleted.
    unloaded = sa.inspect(obj).unloaded
    return {name: _value(getattr(obj, name)) for name in names if name not in unloaded}


def _dataset_metadata(dataset: Dataset) -> dict[str, Any]:
    return _loaded(dataset, DATASET_METADATA)


def _bounded(payload: Any) -> Any:
    try:
        text = json.dumps(payload, default=str, allow_nan=False)
    except ValueError:
        text = json.dumps(str(payload))
    if len(text) <= MAX_PAYLOAD_CHARS:
        return json.loads(text)
    return {"truncated": True, "characters": len(text),
            "keys": sorted(map(str, payload))[:50] if isinstance(payload, dict) else None}


def _changes(obj: Any, names: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    state = sa.inspect(obj)
    for name in names:
        history = state.attrs[name].history
        if history.added or history.deleted:
            if history.deleted:
                old = history.deleted[0]
            elif history.unchanged:
                old = history.unchanged[0]
            else:
                old = None
            new = history.added[0] if history.added else None
            if old != new:
                before[name] = _value(old)
                after[name] = _value(new)
    return before, after


def _events(session: Session) -> tuple[list[dict[str, Any]], tuple[dict[str, Any], dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    thresholds_before: dict[str, Any] = {}
    thresholds_after: dict[str, Any] = {}
    for obj in session.new:
        if isinstance(obj, Dataset):
            events.append({"action": "dataset.upload", "object_type": "dataset", "object_id": str(obj.id),
                           "before": None, "after": _dataset_metadata(obj)})
        elif isinstance(obj, AnalysisResult):
            events.append({"action": "analysis.run", "object_type": "analysis_result", "object_id": str(obj.id),
                           "before": None,
                           "after": {"analysis_type": obj.analysis_type, "dataset_ids": list(obj.dataset_ids or []),
                                     "status": obj.status, "input_sha256": obj.input_sha256,
                                     "parameters": _bounded(obj.parameters)}})
        elif isinstance(obj, ThresholdChange):
            thresholds_before[obj.key] = obj.old_value
            thresholds_after[obj.key] = obj.new_value
        elif isinstance(obj, Job):
            events.append({"action": "job.submit", "object_type": "job", "object_id": obj.id, "before": None,
                           "after": {"kind": obj.kind, "request": _bounded(obj.request)}})
        elif isinstance(obj, ApiKey):
            events.append({"action": "apikey.create", "object_type": "api_key", "object_id": obj.name,
                           "before": None, "after": {"name": obj.name, "role": obj.role, "prefix": obj.prefix}})
    for obj in session.dirty:
        if isinstance(obj, Dataset):
            before, after = _changes(obj, DATASET_EDITABLE)
            if after:
                events.append({"action": "dataset.update", "object_type": "dataset", "object_id": str(obj.id),
                               "before": before, "after": after})
        elif isinstance(obj, ApiKey):
            before, after = _changes(obj, ("revoked_at", "role"))
            if after:
                events.append({"action": "apikey.revoke" if "revoked_at" in after else "apikey.update",
                               "object_type": "api_key", "object_id": obj.name, "before": before, "after": after})
    for obj in session.deleted:
        if isinstance(obj, Dataset):
            events.append({"action": "dataset.delete", "object_type": "dataset", "object_id": str(obj.id),
                           "before": _dataset_metadata(obj), "after": None})
        elif isinstance(obj, AnalysisResult):
            events.append({"action": "analysis.delete", "object_type": "analysis_result", "object_id": str(obj.id),
                           "before": _loaded(obj, ("analysis_type", "dataset_id", "input_sha256", "created_at")),
                           "after": None})
    return events, (thresholds_before, thresholds_after)


def _after_flush(session: Session, _flush_context) -> None:
    events, (thresholds_before, thresholds_after) = _events(session)
    if not events and not thresholds_after:
        return
    actor, role, request_id = current_actor()
    stamp = {"actor": actor[:128], "role": role, "request_id": request_id, "occurred_at": utc_now()}
    # Core statements on the flush's connection: same transaction, and no new flush from inside this one.
    connection = session.connection()
    table = AuditEvent.__table__
    if events:
        connection.execute(sa.insert(table), [{**event, **stamp} for event in events])
    if thresholds_after:
        _record_thresholds(session, connection, table, stamp, thresholds_before, thresholds_after)


def _record_thresholds(session, connection, table, stamp, before: dict, after: dict) -> None:
    """Write one event per transaction for all threshold keys changed in it, however many flushes it took."""
    transaction = session.get_transaction()
    pending = session.info.get(_THRESHOLD_EVENT)
    if pending is not None and pending[0] is transaction:
        _transaction, event_id, earlier_before, earlier_after = pending
        before = {**before, **earlier_before}  # the value before the transaction wins
        after = {**earlier_after, **after}  # the last value written wins
        connection.execute(sa.update(table).where(table.c.id == event_id).values(
            before=before, after=after, object_id=",".join(sorted(after))[:255]))
    else:
        result = connection.execute(sa.insert(table).values(
            action="thresholds.change", object_type="threshold", object_id=",".join(sorted(after))[:255],
            before=before, after=after, **stamp))
        event_id = result.inserted_primary_key[0]
    session.info[_THRESHOLD_EVENT] = (transaction, event_id, before, after)


def event_out(event: AuditEvent) -> dict[str, Any]:
    """Serialise an audit event."""
    return {
        "id": event.id,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor,
        "role": event.role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
    }


def list_events(session: Session, *, page: int, per_page: int, action: str | None = None,
                object_type: str | None = None, object_id: str | None = None,
                actor: str | None = None) -> tuple[list[AuditEvent], int]:
    """Return one page of events, newest first, and the number of matching events."""
    conditions = []
    if action:
        conditions.append(AuditEvent.action == action)
    if object_type:
        conditions.append(AuditEvent.object_type == object_type)
    if object_id:
        conditions.append(AuditEvent.object_id == object_id)
    if actor:
        conditions.append(AuditEvent.actor == actor)
    total = session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(*conditions)) or 0
    rows = session.scalars(
        sa.select(AuditEvent).where(*conditions).order_by(AuditEvent.id.desc())
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), int(total)
