"""Report sections of a macro (satellite) model result: fit over time, residuals, tests."""

from __future__ import annotations

from typing import Any

from mmt.reports.figures import BAND_FILLS, BLUE, GREY, ORANGE, PURPLE, VERMILLION, new_figure
from mmt.reports.model import Chart, ReportInput, Section
from mmt.reports.tables import make_table, text_of

TEST_ORDER = ("adf", "kpss", "phillips_perron", "zivot_andrews")


def fit_section(source: ReportInput) -> Section | None:
    """Build the charts of actual against fitted over time, with the prediction interval and the out-of-time window."""
    series = source.results.get("time_series_data")
    if not isinstance(series, dict) or not series.get("dates"):
        return None
    dates = series.get("date_labels") or series["dates"]
    target = text_of(series.get("target") or "target")
    figure = new_figure(x_title="Date", y_title=target, height=460)
    interval = series.get("prediction_interval") or {}
    if interval.get("lower") and interval.get("upper"):
        coverage = interval.get("coverage")
        figure.add_scatter(x=dates, y=interval["upper"], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip",
                           name="interval upper")
        figure.add_scatter(x=dates, y=interval["lower"], mode="lines", line={"width": 0}, fill="tonexty",
                           fillcolor="rgba(0,114,178,0.12)",
                           name=f"{coverage:.0%} prediction interval" if isinstance(coverage, (int, float)) else "Prediction interval")
    figure.add_scatter(x=dates, y=series.get("actual"), mode="lines", name=f"Actual {target}", line={"color": "#111", "width": 2})
    if series.get("model_fitted"):
        figure.add_scatter(x=dates, y=series["model_fitted"], mode="lines", name="Re-estimated model", line={"color": BLUE})
    if series.get("fitted"):
        figure.add_scatter(x=dates, y=series["fitted"], mode="lines", name=f"Supplied fitted ({text_of(series.get('fitted_column'))})",
                           line={"color": ORANGE, "dash": "dash"})
    _shade_out_of_time(figure, dates, series.get("sample"))
    charts = [Chart("actual_fitted", f"Actual against fitted {target}", figure,
                    "The shaded window on the right, when present, is the out-of-time sample the model was not estimated on.", wide=True)]

    if series.get("residuals"):
        figure = new_figure(x_title="Date", y_title="Residual (transformed scale)", height=340)
        figure.add_bar(x=dates, y=series["residuals"], name="Residual of the re-estimated model", marker={"color": PURPLE})
        _shade_out_of_time(figure, dates, series.get("sample"))
        charts.append(Chart("residuals", "Residuals over time", figure, None, wide=True))
    if series.get("fitted_errors"):
        figure = new_figure(x_title="Date", y_title="Fitted minus actual", height=340)
        figure.add_bar(x=dates, y=series["fitted_errors"], name="Error of the supplied fitted values", marker={"color": ORANGE})
        _shade_out_of_time(figure, dates, series.get("sample"))
        charts.append(Chart("fitted_errors", "Errors of the supplied fitted values over time", figure, None, wide=True))
    for key, title in (("residual_acf", "Autocorrelation (ACF) of the residuals"),
                       ("residual_pacf", "Partial autocorrelation (PACF) of the residuals"),
                       ("fitted_error_acf", "Autocorrelation (ACF) of the supplied fitted errors")):
        correlogram = series.get(key)
        if isinstance(correlogram, dict) and correlogram.get("values"):
            charts.append(_correlogram_chart(key, title, correlogram))

    columns = [("Date", "text"), ("Sample", "text"), (f"Actual {target}", "number")]
    values = [dates, series.get("sample") or [None] * len(dates), series.get("actual") or []]
    for key, title in (("model_fitted", "Re-estimated model"), ("fitted", "Supplied fitted"), ("residuals", "Residual"),
                       ("fitted_errors", "Supplied fitted error")):
        if series.get(key):
            columns.append((title, "number"))
            values.append(series[key])
    if interval.get("lower"):
        columns += [("Interval lower", "number"), ("Interval upper", "number")]
        values += [interval["lower"], interval.get("upper") or []]
    rows = [[column[index] if index < len(column) else None for column in values] for index in range(len(dates))]
    tables = [make_table("Time series", "Actual, fitted and residuals", columns, rows)]
    correlograms = [(key, series.get(key)) for key in ("residual_acf", "residual_pacf", "fitted_error_acf", "fitted_error_pacf")
                    if isinstance(series.get(key), dict) and series[key].get("values")]
    if correlograms:
        lags = correlograms[0][1].get("lags") or []
        acf_columns = [("Lag", "integer")]
        for key, correlogram in correlograms:
            label = key.replace("_", " ")
            acf_columns += [(label, "number"), (f"{label} band", "number")]
        acf_rows = []
        for index, lag in enumerate(lags):
            row: list[Any] = [lag]
            for _, correlogram in correlograms:
                row += [_at(correlogram.get("values"), index), _at(correlogram.get("band_upper"), index)]
            acf_rows.append(row)
        tables.append(make_table("Correlograms", "Autocorrelations with their significance bands", acf_columns, acf_rows,
                                 note="The band is the half-width of the confidence band around zero at each lag."))
    return Section("fit", "Actual against fitted", tuple(charts), tuple(tables))


def tests_section(source: ReportInput) -> Section | None:
    """Build the tables of stationarity tests, regression coefficients, performance and diagnostics."""
    results = source.results
    tables = []
    stationarity = results.get("stationarity_tests")
    if isinstance(stationarity, dict) and stationarity:
        rows = []
        for variable, entry in stationarity.items():
            if not isinstance(entry, dict):
                continue
            for transformation, block in (entry.get("transformations") or {}).items():
                if not isinstance(block, dict):
                    continue
                tests = block.get("tests") or {}
                for key in list(TEST_ORDER) + [key for key in tests if key not in TEST_ORDER]:
                    test = tests.get(key)
                    if isinstance(test, dict):
                        rows.append((variable, transformation, test.get("test") or key, test.get("statistic"), test.get("p_value"),
                                     test.get("p_value_text"), test.get("lags"), test.get("status"),
                                     test.get("conclusion") or test.get("reason")))
                rows.append((variable, transformation, "verdict", None, None, block.get("verdict"), None,
                             block.get("verdict_status"), block.get("verdict_reason")))
        tables.append(make_table(
            "Stationarity", "Unit-root and stationarity tests",
            (("Variable", "text"), ("Transformation", "text"), ("Test", "text"), ("Statistic", "number"), ("p-value", "pvalue"),
             ("p-value as reported", "text"), ("Lags", "integer"), ("Status", "status"), ("Conclusion", "text")),
            rows,
        ))
    performance = results.get("performance_metrics") or {}
    regression = performance.get("regression") if isinstance(performance, dict) else None
    if isinstance(regression, dict) and regression.get("coefficients"):
        tables.append(make_table(
            "Regression", "Coefficients of the re-estimated regression",
            (("Term", "text"), ("Estimate", "number"), ("Standard error", "number"), ("t value", "number"), ("p-value", "pvalue"),
             ("95 % CI lower", "number"), ("95 % CI upper", "number"), ("Expected sign", "text"), ("Status", "status")),
            [(coefficient.get("name"), coefficient.get("estimate"), coefficient.get("std_error"), coefficient.get("t_value"),
              coefficient.get("p_value"), coefficient.get("ci_lower"), coefficient.get("ci_upper"), coefficient.get("expected_sign"),
              coefficient.get("status")) for coefficient in regression["coefficients"] if isinstance(coefficient, dict)],
            note=(f"{regression.get('nobs')} observations, R-squared {_fmt(regression.get('r_squared'))}, adjusted "
                  f"{_fmt(regression.get('adj_r_squared'))}, covariance {regression.get('cov_type')}."),
        ))
    performance_rows = []
    for source_name, block in (("re-estimated model", performance.get("model")), ("supplied fitted", performance.get("supplied_fitted"))):
        if not isinstance(block, dict):
            continue
        for sample in ("in_sample", "out_of_time", "full_sample"):
            scales = block.get(sample)
            if not isinstance(scales, dict):
                continue
            for scale, metrics in scales.items():
                if not isinstance(metrics, dict) or "rmse" not in metrics:
                    continue
                status = metrics.get("status") or {}
                performance_rows.append((source_name, sample.replace("_", " "), scale, metrics.get("nobs"), metrics.get("rmse"),
                                         metrics.get("mae"), metrics.get("bias"), metrics.get("mape"), status.get("mape"),
                                         metrics.get("r_squared"), status.get("r_squared"), metrics.get("adj_r_squared")))
    if performance_rows:
        tables.append(make_table(
            "Performance", "Fit of the re-estimated model and of the supplied fitted values",
            (("Fitted values", "text"), ("Sample", "text"), ("Scale", "text"), ("Observations", "integer"), ("RMSE", "number"),
             ("MAE", "number"), ("Bias", "number"), ("MAPE (percent)", "number"), ("MAPE status", "status"),
             ("R-squared", "number"), ("R-squared status", "status"), ("Adjusted R-squared", "number")),
            performance_rows,
        ))
    diagnostics = results.get("diagnostics") or {}
    diagnostic_rows = []
    vif_rows = []
    for scope, block in diagnostics.items() if isinstance(diagnostics, dict) else ():
        if not isinstance(block, dict):
            continue
        for key, test in (block.get("tests") or {}).items():
            if isinstance(test, dict):
                diagnostic_rows.append((scope.replace("_", " "), test.get("test") or key, test.get("statistic"), test.get("p_value"),
                                        test.get("p_value_text"), test.get("status"), test.get("conclusion") or test.get("reason")))
        for name, entry in (block.get("variance_inflation_factors") or {}).items():
            if isinstance(entry, dict):
                vif_rows.append((name, entry.get("value"), entry.get("status")))
    if diagnostic_rows:
        tables.append(make_table(
            "Diagnostics", "Residual diagnostics",
            (("Fitted values", "text"), ("Test", "text"), ("Statistic", "number"), ("p-value", "pvalue"),
             ("p-value as reported", "text"), ("Status", "status"), ("Conclusion", "text")),
            diagnostic_rows,
        ))
    if vif_rows:
        tables.append(make_table("VIF", "Variance inflation factors", (("Regressor", "text"), ("VIF", "number"), ("Status", "status")),
                                 vif_rows))
    if not tables:
        return None
    return Section("tests", "Stationarity, fit and diagnostics", tables=tuple(tables),
                   notes=tuple(text_of(warning) for warning in results.get("warnings") or []))


SECTIONS = (fit_section, tests_section)


def period(source: ReportInput) -> str:
    """Describe the estimation window and the out-of-time sample of a macro result."""
    parameters = source.results.get("parameters") or source.parameters
    start, end = parameters.get("window_start"), parameters.get("window_end")
    if not start:
        series = source.results.get("time_series_data") or {}
        dates = series.get("dates") or []
        start, end = (dates[0], dates[-1]) if dates else (None, None)
    text = f"{start} to {end}" if start else "not recorded"
    if parameters.get("development_end"):
        text += f"; development sample to {parameters['development_end']}"
    if parameters.get("out_of_time_start"):
        text += f", out of time from {parameters['out_of_time_start']}"
    return text


def _correlogram_chart(key: str, title: str, correlogram: dict[str, Any]) -> Chart:
    lags = list(correlogram.get("lags") or [])
    values = list(correlogram.get("values") or [])
    upper = list(correlogram.get("band_upper") or [])
    lower = list(correlogram.get("band_lower") or [])
    # Lag 0 is 1 by definition and would flatten the other bars.
    start = 1 if lags and lags[0] == 0 else 0
    lags, values, upper, lower = lags[start:], values[start:], upper[start:], lower[start:]
    figure = new_figure(x_title="Lag", y_title=correlogram.get("kind", "acf").upper(), height=320)
    if upper and lower:
        figure.add_scatter(x=lags, y=upper, mode="lines", line={"width": 0, "shape": "hvh"}, showlegend=False, hoverinfo="skip",
                           name="band upper")
        figure.add_scatter(x=lags, y=lower, mode="lines", line={"width": 0, "shape": "hvh"}, fill="tonexty",
                           fillcolor=BAND_FILLS["amber"], name=f"{1 - (correlogram.get('alpha') or 0.05):.0%} band around zero")
    outside = [value is not None and bound is not None and abs(value) > bound for value, bound in zip(values, upper or [None] * len(values))]
    figure.add_bar(x=lags, y=values, name=correlogram.get("kind", "acf").upper(), width=0.35,
                   marker={"color": [VERMILLION if flag else BLUE for flag in outside]})
    figure.add_hline(y=0, line={"color": GREY, "width": 1})
    figure.update_xaxes(dtick=1 if len(lags) <= 30 else None)
    caption = f"{correlogram.get('method', '')}; {correlogram.get('nobs', 'n/a')} observations. Bars outside the band are red."
    return Chart(key, title, figure, caption)


def _shade_out_of_time(figure, dates: list[Any], samples: list[Any] | None) -> None:
    if not samples:
        return
    out_of_time = [date for date, sample in zip(dates, samples) if sample and str(sample).lower() not in ("development", "in_sample")]
    if out_of_time:
        figure.add_vrect(x0=out_of_time[0], x1=out_of_time[-1], fillcolor="rgba(0,0,0,0.06)", line_width=0, layer="below",
                         annotation_text="out of time", annotation_position="top left", annotation_font_size=10)


def _at(values: list[Any] | None, index: int) -> Any:
    return values[index] if values is not None and index < len(values) else None


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "n/a"
