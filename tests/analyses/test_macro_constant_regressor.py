"""A constant regressor is named in the error, also when its name is the intercept's."""

from __future__ import annotations

import pytest

from mmt.analyses.macro import analyze_macro
from mmt.errors import ValidationError
from tests.analyses.test_macro import synthetic_frame


@pytest.mark.parametrize("name", ["const", "flat"])
def test_constant_regressor_named(name):
    frame = synthetic_frame()
    frame[name] = 2.0
    with pytest.raises(ValidationError) as caught:
        analyze_macro(frame, {"regressors": [name, "gdp_growth"]}, {})
    assert caught.value.code == "collinear_regressors"
    assert caught.value.details == {"groups": [[name]]}
    assert f"{name} is constant in the development sample" in str(caught.value)
