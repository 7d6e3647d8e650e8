"""The LGD/EAD decile grid names the deciles that ties leave empty."""

from __future__ import annotations

import numpy as np

from mmt.analyses.lgd import decile_data
from mmt.reports.backtest import _decile_tables


def tied_predictions() -> tuple[np.ndarray, np.ndarray]:
    """Twenty facilities: twelve predicted LGDs of 0, then eight distinct ones; distinct realised LGDs.

    A value at 0-based sorted position m of its first occurrence goes into
    decile max(1, ceil(10 m / 19)). The zeros (m = 0) fill D1, and the other
    predictions sit at m = 12..19, in D7, D7, D8, D8, D9, D9, D10 and D10,
    so D2 to D6 stay empty. The realised values are distinct, and m = 0..19
    covers every decile.
    """
    predicted = np.array([0.0] * 12 + [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    realised = np.linspace(0.0, 0.95, 20)
    return predicted, realised


def test_ties_leave_predicted_deciles_empty():
    predicted, realised = tied_predictions()
    data = decile_data(predicted, realised)
    assert data["empty_predicted_deciles"] == ["D2", "D3", "D4", "D5", "D6"]
    assert data["empty_realised_deciles"] == []
    assert "predicted deciles D2, D3, D4, D5, D6 hold no facility" in data["note"]
    column_totals = np.asarray([row["counts"] for row in data["data"]]).sum(axis=0)
    assert column_totals.tolist() == [12, 0, 0, 0, 0, 0, 2, 2, 2, 2]


def test_ties_in_realised_values_are_named():
    predicted, realised = tied_predictions()
    data = decile_data(realised, predicted)
    assert data["empty_predicted_deciles"] == []
    assert data["empty_realised_deciles"] == ["D2", "D3", "D4", "D5", "D6"]
    assert "realised deciles D2, D3, D4, D5, D6" in data["note"]


def test_distinct_values_fill_every_decile():
    rng = np.random.default_rng(7)
    data = decile_data(rng.uniform(size=200), rng.uniform(size=200))
    assert data["empty_predicted_deciles"] == []
    assert data["empty_realised_deciles"] == []
    assert "note" not in data


def test_report_table_carries_the_note():
    predicted, realised = tied_predictions()
    results = {"decile_data": decile_data(predicted, realised)}
    (table,) = _decile_tables(results, "LGD deciles", "decile_data")
    assert table.note.startswith("20 facilities. ")
    assert "D2, D3, D4, D5, D6" in table.note
