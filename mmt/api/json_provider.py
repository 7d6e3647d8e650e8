"""Flask JSON provider that writes strict JSON only (no NaN or Infinity)."""

from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider

from mmt.jsonsafe import to_jsonable


class StrictJSONProvider(DefaultJSONProvider):
    """Serialise through :func:`mmt.jsonsafe.to_jsonable` with ``allow_nan=False``."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("ensure_ascii", False)
        kwargs.setdefault("sort_keys", self.sort_keys)
        kwargs.pop("default", None)
        return json.dumps(to_jsonable(obj), allow_nan=False, **kwargs)
