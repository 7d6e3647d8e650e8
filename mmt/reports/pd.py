"""Report sections of a PD result: discrimination, calibration, stability, WOE and IV."""

from __future__ import annotations

from typing import Any


from mmt.reports.figures import BLUE, GREY, ORANGE, PALETTE, SKY, VERMILLION, add_status_bands, new_figure, status_colours
from mmt.reports.intervals import jeffreys_intervals
from mmt.reports.model import Chart, ReportInput, Section
from mmt.reports.tables import entry_reason, entry_status, entry_value, make_table, text_of

CONFIDENCE = 0.95


def discrimination_section(source: ReportInput) -> Section | None:
    """Build the ROC and CAP curves, the AUC trend and the discrimination table."""
    section = source.results.get("discrimination")
    if not isinstance(section, dict):
        return None
    charts = []
    auc = entry_value(section.get("auc"))
    roc = section.get("roc_curve")
    if isinstance(roc, dict) and roc.get("x"):
        figure = new_figure(x_title="False positive rate (share of non-defaults)", y_title="True positive rate (share of defaults)")
        figure.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="Random model", line={"color": GREY, "dash": "dot"})
        figure.add_scatter(x=roc["x"], y=roc["y"], mode="lines", name=f"Current period (AUC {format_index(auc)})",
                           line={"color": BLUE, "width": 2})
        figure.update_xaxes(range=[0, 1], constrain="domain")
        figure.update_yaxes(range=[0, 1.02], scaleanchor="x", scaleratio=1)
        charts.append(Chart("roc", "ROC curve", figure,
                            "The further the curve bows towards the top left, the better the PD separates defaults from non-defaults."))
    cap = section.get("cap_curve")
    if isinstance(cap, dict) and cap.get("x"):
        defaults = section.get("n_defaults") or 0
        total = defaults + (section.get("n_non_defaults") or 0)
        figure = new_figure(x_title="Share of obligors, riskiest first", y_title="Share of defaults captured")
        figure.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="Random model", line={"color": GREY, "dash": "dot"})
        if total > 0:
            figure.add_scatter(x=[0, defaults / total, 1], y=[0, 1, 1], mode="lines", name="Perfect model",
                               line={"color": GREY, "dash": "dash"})
        accuracy_ratio = entry_value(section.get("accuracy_ratio"))
        figure.add_scatter(x=cap["x"], y=cap["y"], mode="lines", name=f"Current period (AR {format_index(accuracy_ratio)})",
                           line={"color": ORANGE, "width": 2})
        figure.update_xaxes(range=[0, 1], constrain="domain")
        figure.update_yaxes(range=[0, 1.02], scaleanchor="x", scaleratio=1)
        charts.append(Chart("cap", "CAP curve (cumulative accuracy profile)", figure,
                            "The accuracy ratio is the area between the model and the random line over the area between the perfect model and the random line."))
    trend = [entry for entry in section.get("trend") or [] if isinstance(entry, dict)]
    if len(trend) >= 2:
        thresholds = source.thresholds
        figure = new_figure(x_title="Snapshot date", y_title="AUC")
        add_status_bands(figure, thresholds.get("auc_threshold", 0.7), thresholds.get("auc_red_threshold", 0.6),
                         lower_is_better=False)
        figure.add_scatter(x=[str(entry.get("snapshot")) for entry in trend], y=[entry.get("auc") for entry in trend],
                           mode="lines+markers", name="AUC", line={"color": BLUE},
                           text=[entry.get("period") for entry in trend], hovertemplate="%{x}: AUC %{y:.4f} (%{text})<extra></extra>")
        figure.update_xaxes(type="category")
        figure.update_yaxes(range=[0.4, 1.0])
        charts.append(Chart("auc_trend", "AUC by snapshot date", figure, "Shaded bands are the AUC thresholds in force."))

    rows: list[tuple[Any, ...]] = []
    for name, key in (("AUC", "auc"), ("Gini", "gini"), ("KS statistic", "ks"), ("Accuracy ratio", "accuracy_ratio")):
        entry = section.get(key)
        if entry is None:
            continue
        extra = entry if isinstance(entry, dict) else {}
        rows.append((name, entry_value(entry), entry_status(entry), extra.get("se"), extra.get("ci_lower"),
                     extra.get("ci_upper"), entry_reason(entry)))
    grade_auc = section.get("grade_auc")
    if isinstance(grade_auc, dict):
        rows.append(("AUC on grades", grade_auc.get("value"), None, grade_auc.get("se"), None, None,
                     grade_auc.get("reason") or grade_auc.get("note")))
    reference = section.get("reference")
    if isinstance(reference, dict):
        rows.append(("Reference AUC", entry_value(reference.get("auc")), None, reference.get("auc_se"), None, None, None))
        rows.append(("AUC change (current - reference)", reference.get("auc_change"), None, None, None, None, None))
        ecb = reference.get("ecb_auc_test")
        if isinstance(ecb, dict):
            rows.append(("AUC test against reference: p-value", ecb.get("pvalue"), entry_status(ecb), None, None, None,
                         ecb.get("method") or ecb.get("reason")))
        unpaired = reference.get("unpaired_auc_test")
        if isinstance(unpaired, dict):
            rows.append(("Unpaired AUC test: p-value", unpaired.get("pvalue"), None, None, None, None,
                         unpaired.get("method") or unpaired.get("reason")))
    tables = [make_table(
        "Discrimination", "Discrimination",
        (("Metric", "text"), ("Value", "number"), ("Status", "status"), ("Standard error", "number"),
         ("95 % CI lower", "number"), ("95 % CI upper", "number"), ("Note", "text")),
        rows,
    )]
    if trend:
        tables.append(make_table(
            "Discrimination by snapshot", "Discrimination by snapshot date",
            (("Snapshot", "text"), ("Period", "text"), ("Obligors", "integer"), ("Defaults", "integer"),
             ("Default rate", "percent"), ("AUC", "number"), ("Gini", "number"), ("KS", "number")),
            [(entry.get("snapshot"), entry.get("period"), entry.get("obligors"), entry.get("defaults"),
              entry.get("default_rate"), entry.get("auc"), entry.get("gini"), entry.get("ks")) for entry in trend],
        ))
    counts = f"{section.get('n_defaults', 'n/a')} defaults and {section.get('n_non_defaults', 'n/a')} non-defaults"
    return Section("discrimination", "Discrimination", tuple(charts), tuple(tables),
                   notes=(f"Current period: {counts}; score column {section.get('score_column')}.",))


def calibration_section(source: ReportInput) -> Section | None:
    """Build the default rate against PD by grade with Jeffreys intervals, and the calibration tests."""
    section = source.results.get("calibration")
    if not isinstance(section, dict):
        return None
    grades = [grade for grade in section.get("grades") or [] if isinstance(grade, dict)]
    if not grades:
        reason = section.get("reason") or "no grade to show"
        return Section("calibration", "Calibration", notes=(f"Calibration is not available: {reason}.",))
    labels = [text_of(grade.get("grade")) for grade in grades]
    obligors = [grade.get("obligors") or 0 for grade in grades]
    defaults = [grade.get("defaults") or 0 for grade in grades]
    intervals = jeffreys_intervals(defaults, obligors, CONFIDENCE)
    lower = [interval.lower if interval else None for interval in intervals]
    upper = [interval.upper if interval else None for interval in intervals]
    default_rates = [grade.get("default_rate") for grade in grades]
    mean_pds = [grade.get("mean_pd") for grade in grades]
    grouping = section.get("grouping") or {}
    by_bucket = grouping.get("by") == "pd_quantile_bucket"

    figure = new_figure(x_title="PD bucket" if by_bucket else f"Grade ({grouping.get('column', 'rating')})",
                        y_title="Rate")
    figure.add_scatter(x=labels, y=mean_pds, mode="lines+markers", name="Mean PD", line={"color": BLUE},
                       marker={"symbol": "diamond", "size": 8})
    error_plus = [None if rate is None or high is None else high - rate for rate, high in zip(default_rates, upper)]
    error_minus = [None if rate is None or low is None else rate - low for rate, low in zip(default_rates, lower)]
    figure.add_scatter(
        x=labels, y=default_rates, mode="markers", name=f"Default rate with {CONFIDENCE:.0%} Jeffreys interval",
        marker={"color": VERMILLION, "size": 9},
        error_y={"type": "data", "symmetric": False, "array": error_plus, "arrayminus": error_minus,
                 "color": VERMILLION, "thickness": 1.5, "width": 5},
        customdata=[[n, d, low, high] for n, d, low, high in zip(obligors, defaults, lower, upper)],
        hovertemplate=("%{x}: default rate %{y:.4%}<br>%{customdata[1]} defaults of %{customdata[0]} obligors"
                       "<br>interval %{customdata[2]:.4%} to %{customdata[3]:.4%}<extra></extra>"),
    )
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=labels)
    figure.update_yaxes(tickformat=".1%", rangemode="tozero")
    figure.update_layout(updatemenus=[{
        "type": "buttons", "direction": "left", "x": 1.0, "xanchor": "right", "y": 1.12, "yanchor": "bottom",
        "showactive": True, "font": {"size": 11},
        "buttons": [
            {"label": "Linear scale", "method": "relayout", "args": [{"yaxis.type": "linear"}]},
            {"label": "Log scale", "method": "relayout", "args": [{"yaxis.type": "log"}]},
        ],
    }])
    chart = Chart("calibration", "Default rate against PD by grade", figure,
                  f"Each interval is the {CONFIDENCE:.0%} equal-tailed Jeffreys interval Beta(d + 1/2, n - d + 1/2) "
                  "of the grade's default rate; a mean PD below the interval suggests the PD is too low for that grade.", wide=True)

    grade_rows = [
        (label, grade.get("obligors"), grade.get("defaults"), grade.get("default_rate"), grade.get("mean_pd"), low, high,
         grade.get("jeffreys_pvalue"), grade.get("binomial_pvalue"), grade.get("status"),
         text_of(grade.get("flags") or []) or grade.get("message"))
        for label, grade, low, high in zip(labels, grades, lower, upper)
    ]
    tables = [make_table(
        "Calibration by grade", "Calibration by grade",
        (("Grade", "text"), ("Obligors", "integer"), ("Defaults", "integer"), ("Default rate", "percent"),
         ("Mean PD", "percent"), (f"Jeffreys {CONFIDENCE:.0%} lower", "percent"), (f"Jeffreys {CONFIDENCE:.0%} upper", "percent"),
         ("Jeffreys p-value", "pvalue"), ("Binomial p-value", "pvalue"), ("Status", "status"), ("Flags", "text")),
        grade_rows,
        note="One-sided tests of H0: the PD is not underestimated; a small p-value is a finding.",
    )]
    portfolio = section.get("portfolio") or {}
    test_rows = []
    for name, key in (("Jeffreys", "jeffreys"), ("Binomial", "binomial"), ("Hosmer-Lemeshow", "hosmer_lemeshow"),
                      ("Spiegelhalter", "spiegelhalter")):
        test = portfolio.get(key)
        if isinstance(test, dict):
            test_rows.append((name, test.get("statistic"), test.get("dof"), test.get("pvalue"), test.get("alternative"),
                              test.get("status"), test.get("message") or test.get("reason")))
    herfindahl = portfolio.get("herfindahl")
    if isinstance(herfindahl, dict):
        test_rows.append(("Herfindahl index (normalised)", herfindahl.get("normalised_index"), None, None, None,
                          herfindahl.get("status"), f"coefficient of variation {format_index(herfindahl.get('coefficient_of_variation'))}"))
    for name, key in (("Brier score", "brier_score"), ("Brier skill score", "brier_skill_score")):
        if portfolio.get(key) is not None:
            test_rows.append((name, portfolio.get(key), None, None, None, None, None))
    tables.append(make_table(
        "Calibration tests", "Portfolio calibration tests",
        (("Test", "text"), ("Statistic", "number"), ("Degrees of freedom", "integer"), ("p-value", "pvalue"),
         ("Alternative", "text"), ("Status", "status"), ("Note", "text")),
        test_rows,
        note=(f"Portfolio: {portfolio.get('obligors')} obligors, {portfolio.get('defaults')} defaults, "
              f"default rate {_pct(portfolio.get('default_rate'))}, mean PD {_pct(portfolio.get('mean_pd'))}."),
    ))
    return Section("calibration", "Calibration", (chart,), tuple(tables))


def stability_section(source: ReportInput) -> Section | None:
    """Build the distribution charts of the PD and grades, PSI and CSI against the bands, PSI trend."""
    section = source.results.get("stability")
    if not isinstance(section, dict):
        return None
    psi = section.get("psi")
    if not isinstance(psi, dict):
        reason = section.get("reason") or "no reference period"
        return Section("stability", "Population stability", notes=(f"PSI and CSI are not available: {reason}.",))
    thresholds = source.thresholds
    psi_amber, psi_red = thresholds.get("psi_threshold", 0.1), thresholds.get("psi_red_threshold", 0.25)
    csi_amber, csi_red = thresholds.get("csi_threshold", psi_amber), thresholds.get("csi_red_threshold", psi_red)
    charts = [_distribution_chart("psi_distribution", f"Distribution of {psi.get('column', 'the PD')}: reference against current", psi)]
    grade_psi = section.get("grade_psi")
    if isinstance(grade_psi, dict) and grade_psi.get("bins"):
        charts.append(_distribution_chart("grade_distribution", "Grade distribution: reference against current", grade_psi))

    csi = {name: entry for name, entry in (section.get("csi") or {}).items() if isinstance(entry, dict)}
    names = [f"PSI {psi.get('column', 'PD')}"]
    values = [psi.get("value", psi.get("statistic"))]
    statuses = [psi.get("status")]
    if isinstance(grade_psi, dict):
        names.append(f"PSI {grade_psi.get('column', 'grade')}")
        values.append(grade_psi.get("value", grade_psi.get("statistic")))
        statuses.append(grade_psi.get("status"))
    ordered = sorted(csi.items(), key=lambda item: -(item[1].get("statistic") or 0.0))
    for name, entry in ordered:
        names.append(f"CSI {name}")
        values.append(entry.get("value", entry.get("statistic")))
        statuses.append(entry.get("status"))
    figure = new_figure(x_title="Index value", y_title=None, height=max(320, 26 * len(names) + 120))
    largest = max([value for value in values if isinstance(value, (int, float))] + [0.0])
    add_status_bands(figure, psi_amber, psi_red, axis="x", maximum=largest * 1.1)
    figure.add_bar(x=values, y=names, orientation="h", marker={"color": status_colours(statuses)},
                   text=[format_index(value) for value in values], textposition="outside", name="Index",
                   customdata=[status or "no status" for status in statuses],
                   hovertemplate="%{y}: %{x:.4f} (%{customdata})<extra></extra>", showlegend=False)
    figure.update_yaxes(autorange="reversed", type="category")
    caption = f"Bands: PSI up to {psi_amber:g} green, up to {psi_red:g} amber, above red."
    if (csi_amber, csi_red) != (psi_amber, psi_red):
        caption += f" CSI bars are coloured by their own thresholds ({csi_amber:g} and {csi_red:g})."
    charts.append(Chart("psi_csi", "PSI and CSI against the traffic-light bands", figure, caption, wide=True))

    trend = [entry for entry in section.get("trend") or [] if isinstance(entry, dict)]
    if len(trend) >= 2:
        figure = new_figure(x_title="Snapshot date", y_title="PSI against the reference period")
        add_status_bands(figure, psi_amber, psi_red, maximum=max([entry.get("psi") or 0.0 for entry in trend]) * 1.1)
        figure.add_scatter(x=[str(entry.get("snapshot")) for entry in trend], y=[entry.get("psi") for entry in trend],
                           mode="lines+markers", name="PSI", line={"color": BLUE},
                           marker={"color": status_colours([entry.get("status") for entry in trend]), "size": 9})
        figure.update_xaxes(type="category")
        charts.append(Chart("psi_trend", "PSI by snapshot date", figure, None))

    tables = [bins_table("PSI bins", f"PSI bins of {psi.get('column', 'the PD')}", psi)]
    if isinstance(grade_psi, dict) and grade_psi.get("bins"):
        tables.append(bins_table("Grade PSI bins", "PSI bins of the grades", grade_psi))
    if csi:
        tables.append(make_table(
            "CSI", "Characteristic stability index (CSI) per variable",
            (("Variable", "text"), ("CSI", "number"), ("Band", "text"), ("Status", "status"), ("Chi-square", "number"),
             ("Degrees of freedom", "integer"), ("p-value", "pvalue")),
            [(name, entry.get("value", entry.get("statistic")), entry.get("band"), entry.get("status"), entry.get("chi_square"),
              entry.get("degrees_of_freedom"), entry.get("pvalue")) for name, entry in ordered],
        ))
        tables.append(make_table(
            "CSI bins", "CSI bins per variable",
            (("Variable", "text"), ("Bin", "text"), ("Reference count", "integer"), ("Reference share", "percent"),
             ("Current count", "integer"), ("Current share", "percent"), ("Contribution", "number")),
            [(name, bin_.get("label"), bin_.get("reference_count"), bin_.get("reference_proportion"), bin_.get("current_count"),
              bin_.get("current_proportion"), bin_.get("contribution"))
             for name, entry in ordered for bin_ in entry.get("bins") or []],
        ))
    return Section("stability", "Population stability", tuple(charts), tuple(tables),
                   notes=(f"PSI {format_index(psi.get('value', psi.get('statistic')))} ({psi.get('band')}); binning: {psi.get('binning')}.",))


def importance_section(source: ReportInput) -> Section | None:
    """Build the information value per variable and the WOE bars of each variable."""
    features = [entry for entry in source.results.get("variable_importance") or [] if isinstance(entry, dict)]
    if not features:
        return None
    features.sort(key=lambda entry: -(entry.get("iv") or 0.0))
    names = [text_of(entry.get("feature") or entry.get("name")) for entry in features]
    strengths = [text_of(entry.get("strength") or "n/a") for entry in features]

    strength_colours = {}
    for strength in strengths:
        strength_colours.setdefault(strength, PALETTE[len(strength_colours) % len(PALETTE)])
    figure = new_figure(x_title="Information value (IV)", height=max(320, 26 * len(names) + 120))
    for strength, colour in strength_colours.items():
        chosen = [index for index, value in enumerate(strengths) if value == strength]
        figure.add_bar(x=[features[index].get("iv") for index in chosen], y=[names[index] for index in chosen],
                       orientation="h", name=strength, marker={"color": colour},
                       hovertemplate="%{y}: IV %{x:.4f}<extra>" + strength + "</extra>")
    figure.update_yaxes(type="category", categoryorder="array", categoryarray=names, autorange="reversed")
    figure.update_layout(barmode="overlay")
    charts = [Chart("iv", "Information value by variable", figure, "Bars are coloured by the predictive-strength label of the IV.", wide=True)]

    for index, (name, entry) in enumerate(zip(names, features)):
        bins = [bin_ for bin_ in entry.get("bins") or [] if isinstance(bin_, dict)]
        if not bins:
            continue
        woe = [bin_.get("woe") for bin_ in bins]
        figure = new_figure(x_title="Bin", y_title="WOE = ln(% defaults / % non-defaults)", height=340)
        figure.add_bar(
            x=[text_of(bin_.get("label")) for bin_ in bins], y=woe, name="WOE",
            marker={"color": [VERMILLION if (value or 0) > 0 else SKY for value in woe]},
            customdata=[[bin_.get("count"), bin_.get("event_rate")] for bin_ in bins],
            hovertemplate="%{x}: WOE %{y:.4f}<br>%{customdata[0]} obligors, default rate %{customdata[1]:.2%}<extra></extra>",
        )
        figure.update_xaxes(type="category")
        charts.append(Chart(f"woe_{index}", f"WOE of {name} (IV {format_index(entry.get('iv'))})", figure, None))

    tables = (
        make_table(
            "Information value", "Information value per variable",
            (("Variable", "text"), ("Kind", "text"), ("IV", "number"), ("Strength", "text"), ("Obligors", "integer"),
             ("Defaults", "integer")),
            [(name, entry.get("kind"), entry.get("iv"), strength, entry.get("total_count"), entry.get("total_events"))
             for name, entry, strength in zip(names, features, strengths)],
        ),
        make_table(
            "WOE bins", "Weight of evidence per bin",
            (("Variable", "text"), ("Bin", "text"), ("Obligors", "integer"), ("Defaults", "integer"), ("Non-defaults", "integer"),
             ("Default rate", "percent"), ("WOE", "number"), ("IV contribution", "number"), ("Flags", "text")),
            [(name, bin_.get("label"), bin_.get("count"), bin_.get("events"), bin_.get("non_events"), bin_.get("event_rate"),
              bin_.get("woe"), bin_.get("iv_bin"), text_of(bin_.get("flags") or []))
             for name, entry in zip(names, features) for bin_ in entry.get("bins") or [] if isinstance(bin_, dict)],
            note=text_of(features[0].get("woe_convention")) if features[0].get("woe_convention") else None,
        ),
    )
    return Section("variable_importance", "Variable importance: WOE and IV", tuple(charts), tables)


SECTIONS = (discrimination_section, calibration_section, stability_section, importance_section)


def period(source: ReportInput) -> str:
    """Describe the current and reference periods of a PD result, and its segment filter."""
    described = _periods(source)
    segment = source.parameters.get("segment")
    if segment is None or segment == []:
        return described
    column = source.parameters.get("segment_column") or "segment"
    return f"{described}; {column} {text_of(segment)} only"


def _periods(source: ReportInput) -> str:
    reference = source.results.get("reference") or {}
    current = reference.get("current_snapshots")
    reference_snapshots = reference.get("reference_snapshots")
    if reference.get("source") == "snapshot_dates":
        return f"current {text_of(current or 'all snapshots')}; reference {text_of(reference_snapshots or [])}"
    if reference.get("source") in ("reference_dataset_id", "latest_baseline"):
        name = reference.get("name") or f"dataset {reference.get('dataset_id')}"
        chosen = source.parameters.get("snapshot_date")
        return f"current {text_of(chosen) if chosen else 'all rows'}; reference dataset {name}"
    return "all rows (no reference period)"


def _distribution_chart(key: str, title: str, psi: dict[str, Any]) -> Chart:
    bins = [bin_ for bin_ in psi.get("bins") or [] if isinstance(bin_, dict)]
    labels = [text_of(bin_.get("label")) for bin_ in bins]
    figure = new_figure(x_title="Bin", y_title="Share of obligors")
    figure.add_bar(x=labels, y=[bin_.get("reference_proportion") for bin_ in bins], name="Reference", marker={"color": GREY})
    figure.add_bar(x=labels, y=[bin_.get("current_proportion") for bin_ in bins], name="Current", marker={"color": BLUE})
    figure.update_xaxes(type="category")
    figure.update_yaxes(tickformat=".0%")
    figure.update_layout(barmode="group", bargap=0.25)
    value = psi.get("value", psi.get("statistic"))
    return Chart(key, title, figure, f"PSI {format_index(value)} ({psi.get('band', 'n/a')}, {psi.get('status') or 'no status'}).")


def bins_table(sheet: str, title: str, psi: dict[str, Any]):
    """Build the table of a PSI or CSI result's bins: counts and shares of both periods, contributions, flags."""
    return make_table(
        sheet, title,
        (("Bin", "text"), ("Reference count", "integer"), ("Reference share", "percent"), ("Current count", "integer"),
         ("Current share", "percent"), ("Contribution", "number"), ("Flags", "text")),
        [(bin_.get("label"), bin_.get("reference_count"), bin_.get("reference_proportion"), bin_.get("current_count"),
          bin_.get("current_proportion"), bin_.get("contribution"), text_of(bin_.get("flags") or []))
         for bin_ in psi.get("bins") or [] if isinstance(bin_, dict)],
    )


def format_index(value: Any) -> str:
    """Return an index value with four decimals, or n/a."""
    return f"{value:.4f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "n/a"


def _pct(value: Any) -> str:
    return f"{value:.2%}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "n/a"
