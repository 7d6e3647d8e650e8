"""Column roles per model type, their aliases, and the matching of columns to roles.

A role is a column the analyses look for by meaning (the PD, the default flag,
the snapshot date). Each model type has a list of roles. A source column is
matched to a role when its name, after trimming, case-folding and dropping
``_``, ``-`` and spaces, equals one of the role's aliases treated the same
way. A ``column_mapping`` given by the user wins over the aliases. Columns
that match no role are kept as features under their trimmed names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mmt.errors import ValidationError

MODEL_TYPES = ("pd", "pd_baseline", "lgd", "ead", "macro", "ratings")


def article(model_type: str) -> str:
    """Return the article that goes before a model type in a message: "an" for those read letter by letter from a vowel sound."""
    return "an" if model_type in ("lgd", "ead") else "a"

#: Value kinds. ``binary`` is a 0/1 flag, ``grade`` a rating kept as integer
#: when every value is an integer and as text otherwise, ``period`` a date or
#: period that may also be a plain text label such as ``reference``.
KINDS = ("numeric", "probability", "binary", "date", "period", "text", "id", "grade")


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """Definition of one column role of a model type.

    Attributes
    ----------
    name : str
        Canonical role name, also the column name in the Parquet copy.
    kind : str
        One of :data:`KINDS`.
    required : bool
        The upload is rejected without this column.
    one_of : tuple of str
        Alternative roles of which at least one must be present (for example
        ``("pd", "score")``), or empty when the role is not part of such a group.
    aliases : tuple of str
        Accepted source column names, in order of preference.
    bounds : tuple of float or None
        Closed interval of plausible values, for numeric kinds.
    enforce_bounds : bool
        Reject values outside ``bounds`` (otherwise they are only counted).
    ratio : bool
        A share or factor, so ``30%`` means 0.3 (probabilities are ratios too).
    description : str
        One-line meaning, shown in error messages and the API.
    """

    name: str
    kind: str
    required: bool = False
    one_of: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    bounds: tuple[float, float] | None = None
    enforce_bounds: bool = False
    ratio: bool = False
    description: str = ""

    def to_dict(self) -> dict:
        """Return the spec as plain JSON values."""
        return {
            "name": self.name,
            "kind": self.kind,
            "required": self.required,
            "one_of": list(self.one_of),
            "aliases": list(self.aliases),
            "bounds": list(self.bounds) if self.bounds else None,
            "enforce_bounds": self.enforce_bounds,
            "description": self.description,
        }


_SEGMENT = ("segment", "portfolio", "sub_portfolio", "business_line", "segment_name", "asset_class")
_MODEL_NAME = ("model_name", "modelname", "model", "model_id", "model_version")
# A date or quarter of default comes before a generic "period" column, which
# often holds development/monitoring labels such as "reference" and "current".
_PERIOD = (
    "quarter",
    "default_quarter",
    "default_period",
    "default_date",
    "date_of_default",
    "period",
    "cohort",
    "vintage",
    "snapshot_date",
    "reporting_date",
    "date",
)
_FACILITY_ID = (
    "facility_id",
    "facility",
    "instrumentid",
    "instrument_id",
    "loan_id",
    "account_id",
    "contract_id",
    "exposure_id",
    "id",
)


def _pd_roles() -> list[RoleSpec]:
    return [
        RoleSpec(
            "pd",
            "probability",
            one_of=("pd", "score"),
            aliases=(
                "pd",
                "pd_1_yr",
                "pd_1y",
                "pd_12m",
                "pd_one_year",
                "one_year_pd",
                "probability_of_default",
                "default_probability",
                "prob_default",
                "predicted_pd",
                "pd_predicted",
                "pd_estimate",
                "model_pd",
                "pit_pd",
                "ttc_pd",
                "final_pd",
            ),
            bounds=(0.0, 1.0),
            enforce_bounds=True,
            description="probability of default, a number in [0, 1]",
        ),
        RoleSpec(
            "score",
            "numeric",
            one_of=("pd", "score"),
            aliases=("score", "credit_score", "model_score", "scorecard_score", "score_points", "points"),
            description="model score, higher or lower meaning riskier",
        ),
        RoleSpec(
            "default_flag",
            "binary",
            required=True,
            aliases=(
                "default_flag",
                "def_flag",
                "default",
                "defaulted",
                "default_indicator",
                "default_ind",
                "default_12m",
                "is_default",
                "bad",
                "bad_flag",
                "target",
                "dflag",
                "y",
            ),
            description="observed default, 1 = default, 0 = no default",
        ),
        RoleSpec(
            "rating",
            "grade",
            aliases=(
                "rating",
                "rating_grade",
                "grade",
                "risk_grade",
                "ttcreportingrating",
                "ttc_rating",
                "reporting_rating",
                "internal_rating",
                "rating_class",
                "pd_grade",
                "credit_rating",
            ),
            description="rating grade",
        ),
        RoleSpec(
            "snapshot_date",
            "date",
            aliases=(
                "snapshot_date",
                "snapshot",
                "reporting_date",
                "report_date",
                "as_of_date",
                "asof_date",
                "observation_date",
                "cob_date",
                "date",
                "snapshot_ccyymm",
                "quarter",
                "period",
                "month",
            ),
            description="date of the snapshot (a date, a quarter such as 2024Q1 or YYYYMM)",
        ),
        RoleSpec(
            "obligor_id",
            "id",
            aliases=(
                "obligor_id",
                "obligor",
                "instrumentid",
                "instrument_id",
                "customer_id",
                "client_id",
                "borrower_id",
                "counterparty_id",
                "account_id",
                "loan_id",
                "facility_id",
                "contract_id",
                "id",
            ),
            description="identifier of the obligor or instrument",
        ),
        RoleSpec("segment", "text", aliases=_SEGMENT, description="portfolio segment"),
    ]


def _lgd_roles() -> list[RoleSpec]:
    return [
        RoleSpec(
            "lgd_predicted",
            "probability",
            required=True,
            aliases=(
                "lgd_predicted",
                "predicted_lgd",
                "lgd_pred",
                "pred_lgd",
                "lgd_estimate",
                "estimated_lgd",
                "model_lgd",
                "lgd_forecast",
            ),
            bounds=(0.0, 1.0),
            enforce_bounds=True,
            description="predicted LGD, a number in [0, 1]",
        ),
        RoleSpec(
            "lgd_realised",
            "numeric",
            required=True,
            aliases=(
                "lgd_realised",
                "realised_lgd",
                "realized_lgd",
                "lgd_realized",
                "actual_lgd",
                "lgd_actual",
                "observed_lgd",
                "lgd_observed",
                "workout_lgd",
            ),
            bounds=(0.0, 1.0),
            ratio=True,
            description="realised LGD; empty for open workouts, values outside [0, 1] are kept",
        ),
        RoleSpec("segment", "text", aliases=_SEGMENT, description="portfolio segment"),
        RoleSpec("period", "period", aliases=_PERIOD, description="period of default or its label"),
        RoleSpec("model_name", "text", aliases=_MODEL_NAME, description="name of the LGD model"),
        RoleSpec(
            "ead",
            "numeric",
            aliases=("ead", "ead_at_default", "exposure_at_default", "exposure", "ead_amount"),
            description="exposure at default, used as weight",
        ),
        RoleSpec(
            "collateral",
            "text",
            aliases=("collateral", "collateral_type", "security_type"),
            description="collateral type",
        ),
        RoleSpec(
            "workout_status",
            "text",
            aliases=("workout_status", "resolution_status", "case_status", "status"),
            description="workout status such as open or closed",
        ),
        RoleSpec("facility_id", "id", aliases=_FACILITY_ID, description="facility identifier"),
    ]


def _ead_roles() -> list[RoleSpec]:
    return [
        RoleSpec(
            "limit",
            "numeric",
            aliases=(
                "limit",
                "limit_amount",
                "credit_limit",
                "approved_limit",
                "facility_limit",
                "committed_amount",
                "commitment",
            ),
            description="credit limit at the reference date",
        ),
        RoleSpec(
            "drawn",
            "numeric",
            aliases=(
                "drawn",
                "drawn_amount_ref",
                "drawn_amount",
                "drawn_balance",
                "outstandingbal",
                "outstanding_balance",
                "outstanding",
                "balance",
            ),
            description="drawn amount at the reference date",
        ),
        RoleSpec(
            "ead_realised",
            "numeric",
            required=True,
            aliases=(
                "ead_realised",
                "ead_realized",
                "realised_ead",
                "realized_ead",
                "ead_at_default",
                "actual_ead",
                "observed_ead",
                "exposure_at_default",
                "exposure",
                "ead",
            ),
            description="realised exposure at default",
        ),
        RoleSpec(
            "ccf_predicted",
            "numeric",
            one_of=("ead_predicted", "ccf_predicted"),
            aliases=("ccf_predicted", "predicted_ccf", "ccf_pred", "pred_ccf", "ccf_estimate", "model_ccf", "ccf"),
            ratio=True,
            description="predicted credit conversion factor (may be below 0 or above 1)",
        ),
        RoleSpec(
            "ead_predicted",
            "numeric",
            one_of=("ead_predicted", "ccf_predicted"),
            aliases=(
                "ead_predicted",
                "predicted_ead",
                "predicted_exposure",
                "ead_pred",
                "pred_ead",
                "ead_estimate",
                "model_ead",
            ),
            description="predicted exposure at default",
        ),
        RoleSpec(
            "ccf_realised",
            "numeric",
            aliases=("ccf_realised", "realised_ccf", "realized_ccf", "ccf_realized", "actual_ccf", "observed_ccf"),
            ratio=True,
            description="realised credit conversion factor",
        ),
        RoleSpec("segment", "text", aliases=_SEGMENT, description="portfolio segment"),
        RoleSpec("period", "period", aliases=_PERIOD, description="period of default or its label"),
        RoleSpec("model_name", "text", aliases=_MODEL_NAME, description="name of the EAD model"),
        RoleSpec("facility_id", "id", aliases=_FACILITY_ID, description="facility identifier"),
    ]


def _macro_roles() -> list[RoleSpec]:
    return [
        RoleSpec(
            "date",
            "date",
            required=True,
            aliases=(
                "date",
                "quarter",
                "period",
                "snapshot_ccyymm",
                "snapshot_date",
                "reporting_date",
                "month",
                "yyyymm",
                "ccyymm",
                "year_quarter",
                "observation_date",
                "time",
            ),
            description="date of the observation (a date, a quarter such as 2024Q1 or YYYYMM)",
        ),
    ]


def _ratings_roles() -> list[RoleSpec]:
    pd_roles = {spec.name: spec for spec in _pd_roles()}
    return [
        RoleSpec(
            "obligor_id",
            "id",
            required=True,
            aliases=pd_roles["obligor_id"].aliases,
            description=pd_roles["obligor_id"].description,
        ),
        RoleSpec(
            "snapshot_date",
            "date",
            required=True,
            aliases=pd_roles["snapshot_date"].aliases,
            description=pd_roles["snapshot_date"].description,
        ),
        RoleSpec(
            "rating",
            "grade",
            required=True,
            aliases=pd_roles["rating"].aliases,
            description="rating grade, including a default grade such as D",
        ),
    ]


_BUILDERS = {
    "pd": _pd_roles,
    "pd_baseline": _pd_roles,
    "lgd": _lgd_roles,
    "ead": _ead_roles,
    "macro": _macro_roles,
    "ratings": _ratings_roles,
}


def role_specs(model_type: str) -> list[RoleSpec]:
    """Return the column roles of a model type, in matching order.

    Raises
    ------
    ValidationError
        ``unknown_model_type`` when ``model_type`` is not in :data:`MODEL_TYPES`.
    """
    try:
        builder = _BUILDERS[model_type]
    except KeyError:
        raise ValidationError(
            f'Unknown model type "{model_type}". Use one of: {", ".join(MODEL_TYPES)}.',
            code="unknown_model_type",
            details={"model_type": model_type, "accepted": list(MODEL_TYPES)},
        ) from None
    return builder()


_SEPARATORS = re.compile(r"[\s_\-]+")


def clean_header(name: object) -> str:
    """Strip a byte-order mark, whitespace and enclosing quotes from a header cell."""
    text = "" if name is None else str(name)
    text = text.replace("\ufeff", "").strip()
    while len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def match_key(name: str) -> str:
    """Return the key used to compare names: case-folded, without ``_``, ``-`` or spaces."""
    return _SEPARATORS.sub("", clean_header(name).casefold())


@dataclass(frozen=True, slots=True)
class RoleMatch:
    """Result of matching source columns to roles.

    ``roles`` maps a role to the index of its source column. ``explicit`` contains
    the roles that came from the user's mapping. ``warnings`` lists plain
    notes such as two columns that both fit a role.
    """

    roles: dict[str, int]
    explicit: frozenset[str]
    warnings: list[dict]


def match_roles(
    specs: list[RoleSpec],
    names: list[str],
    column_mapping: dict[str, str | None] | None = None,
) -> RoleMatch:
    """Assign source columns (by index) to roles.

    Parameters
    ----------
    specs : list of RoleSpec
        Roles of the model type.
    names : list of str
        Cleaned source column names.
    column_mapping : dict, optional
        Role to source column name, from the user. A value of ``None`` or
        ``""`` keeps the role unmapped even when an alias would fit.

    Raises
    ------
    ValidationError
        ``unknown_role`` for a role the model type does not have,
        ``missing_column`` for a mapped column that is not in the file,
        ``duplicate_mapping`` for one column mapped to two roles.
    """
    by_name = {spec.name: spec for spec in specs}
    roles: dict[str, int] = {}
    explicit: set[str] = set()
    blocked: set[str] = set()
    warnings: list[dict] = []
    for role, source in (column_mapping or {}).items():
        if role not in by_name:
            raise ValidationError(
                f'Unknown column role "{role}". The roles of this upload type are: {", ".join(by_name)}.',
                code="unknown_role",
                details={"role": role, "accepted": list(by_name)},
            )
        if source is None or str(source).strip() == "":
            blocked.add(role)
            continue
        index = _find_column(str(source), names)
        if index is None:
            raise ValidationError(
                f'The column "{source}" mapped to role {role} is not in the file. '
                f'Columns found: {", ".join(names)}.',
                code="missing_column",
                details={"role": role, "column": source, "columns_found": names},
            )
        if index in roles.values():
            other = next(name for name, value in roles.items() if value == index)
            raise ValidationError(
                f'The column "{names[index]}" is mapped to both {other} and {role}. Map each role to its own column.',
                code="duplicate_mapping",
                details={"column": names[index], "roles": [other, role]},
            )
        roles[role] = index
        explicit.add(role)

    keys = [match_key(name) for name in names]
    for spec in specs:
        if spec.name in roles or spec.name in blocked:
            continue
        candidates = []
        for alias in spec.aliases:
            alias_key = match_key(alias)
            for index, key in enumerate(keys):
                if key == alias_key and index not in roles.values() and index not in candidates:
                    candidates.append(index)
        if not candidates:
            continue
        roles[spec.name] = candidates[0]
        # A column named exactly as the role settles it. Otherwise the warning says which one was taken.
        if len(candidates) > 1 and keys[candidates[0]] != match_key(spec.name):
            warnings.append(
                {
                    "code": "several_columns_fit_role",
                    "message": (
                        f'Columns {", ".join(repr(names[i]) for i in candidates)} all fit role {spec.name}; '
                        f'"{names[candidates[0]]}" was used and the others are kept as features. '
                        "Pass a column mapping to choose another."
                    ),
                    "details": {
                        "role": spec.name,
                        "used": names[candidates[0]],
                        "candidates": [names[i] for i in candidates],
                    },
                }
            )
    return RoleMatch(roles=roles, explicit=frozenset(explicit), warnings=warnings)


def _find_column(source: str, names: list[str]) -> int | None:
    cleaned = clean_header(source)
    for index, name in enumerate(names):
        if name == cleaned:
            return index
    folded = [index for index, name in enumerate(names) if name.casefold() == cleaned.casefold()]
    if len(folded) == 1:
        return folded[0]
    keyed = [index for index, name in enumerate(names) if match_key(name) == match_key(cleaned)]
    if len(keyed) == 1:
        return keyed[0]
    return None


def missing_required(specs: list[RoleSpec], roles: dict[str, int]) -> list[tuple[str, ...]]:
    """Return the required roles, or groups of alternatives, that have no column."""
    missing: list[tuple[str, ...]] = []
    seen_groups: set[tuple[str, ...]] = set()
    for spec in specs:
        if spec.required and spec.name not in roles:
            missing.append((spec.name,))
        if spec.one_of and spec.one_of not in seen_groups:
            seen_groups.add(spec.one_of)
            if not any(role in roles for role in spec.one_of):
                missing.append(spec.one_of)
    return missing
