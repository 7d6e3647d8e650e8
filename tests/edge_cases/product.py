"""Helpers that drive MMT the way a user does: upload bytes, run an analysis, read strict JSON."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any


def strict_json(response) -> dict[str, Any]:
    """Parse a response body, failing on NaN, Infinity or -Infinity literals."""

    def reject(token: str) -> None:
        raise AssertionError(f"non-finite number {token} in the response")

    body = json.loads(response.get_data(as_text=True), parse_constant=reject)
    json.dumps(body, allow_nan=False)
    return body


def upload_bytes(client, model_type: str, filename: str, data: bytes, *, columns: dict | None = None,
                 options: dict | None = None, expect: int = 200) -> dict[str, Any]:
    """POST ``data`` as the multipart file of ``/api/upload/<model_type>`` and return the JSON body."""
    form: dict[str, Any] = {"file": (io.BytesIO(data), filename)}
    if columns is not None:
        form["columns"] = json.dumps(columns)
    if options is not None:
        form["options"] = json.dumps(options)
    response = client.post(f"/api/upload/{model_type}", data=form, content_type="multipart/form-data")
    body = strict_json(response)
    assert response.status_code == expect, body
    return body


def analyze(client, analysis_type: str, *, expect: int = 200, **payload: Any) -> dict[str, Any]:
    """POST ``payload`` to ``/api/analyze/<analysis_type>`` and return the JSON body."""
    response = client.post(f"/api/analyze/{analysis_type}", json=payload)
    body = strict_json(response)
    assert response.status_code == expect, body
    return body


def stored_dataset(client, dataset_id: int) -> dict[str, Any]:
    """Return the stored metadata of a dataset from ``GET /api/datasets/<id>``."""
    response = client.get(f"/api/datasets/{dataset_id}")
    body = strict_json(response)
    assert response.status_code == 200, body
    return body["dataset"]


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, delimiter: str = ",",
              encoding: str = "utf-8") -> bytes:
    """Write rows as CSV text; ``None`` becomes an empty field and floats keep their repr."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_field(value) for value in row])
    return buffer.getvalue().encode(encoding)


def _field(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return value


def hand_psi(reference: Sequence[float], current: Sequence[float], floor: float = 1e-4) -> float:
    """PSI with the math module: an empty share floored at ``floor``, a bin empty in both periods adds 0."""
    reference_total, current_total = sum(reference), sum(current)
    total = 0.0
    for expected_count, actual_count in zip(reference, current, strict=True):
        expected, actual = expected_count / reference_total, actual_count / current_total
        if expected == 0 and actual == 0:
            continue
        expected, actual = expected or floor, actual or floor
        total += (actual - expected) * math.log(actual / expected)
    return total


def hand_woe(events: Sequence[float], non_events: Sequence[float], adjustment: float = 0.5):
    """WOE per bin and IV: only the zero count of a pure bin becomes ``adjustment``; totals stay as counted."""
    total_events, total_non_events = sum(events), sum(non_events)
    woe, iv = [], 0.0
    for bad, good in zip(events, non_events, strict=True):
        if bad + good == 0:
            woe.append(None)
            continue
        bad, good = bad or adjustment, good or adjustment
        value = math.log((bad / total_events) / (good / total_non_events))
        woe.append(value)
        iv += (bad / total_events - good / total_non_events) * value
    return woe, iv


def finite_or_none(value: Any) -> bool:
    """True when every number inside ``value`` is finite (``None`` allowed)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(finite_or_none(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return all(finite_or_none(item) for item in value)
    return True


def raw_non_finite(value: Any, path: str = "result") -> list[str]:
    """Paths of NaN or infinite floats inside a result object, before any JSON conversion.

    ``to_dict`` turns non-finite floats into ``None``, which would hide a NaN
    computed by mistake, so properties look at the dataclass fields themselves.
    """
    import dataclasses

    import numpy as np

    found: list[str] = []
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            found.append(path)
    elif isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            found.append(path)
        elif value.dtype == object:
            for index, item in enumerate(value.ravel().tolist()):
                found += raw_non_finite(item, f"{path}[{index}]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            found += raw_non_finite(getattr(value, field.name), f"{path}.{field.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            found += raw_non_finite(item, f"{path}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found += raw_non_finite(item, f"{path}[{index}]")
    return found
