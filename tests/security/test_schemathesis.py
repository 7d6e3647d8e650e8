"""Schemathesis against ``/api/openapi.json``: no generated request may end in a server error.

The application runs in-process (WSGI) on a database holding one PD upload
and its analysis, so generated ids sometimes name stored rows. Every
operation of the document gets a bounded number of examples; the check is
``not_a_server_error`` (no 5xx). The figures (operations, examples, server
errors) are printed in the terminal summary.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.reliability.figures import record

EXAMPLES_PER_OPERATION = 25
NEGATIVE_EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def seeded(app, upload):
    """The application with one PD upload and its analysis stored."""
    uploaded = upload("pd", "pd_germancredit.csv")
    assert uploaded.status_code == 200
    client = app.test_client()
    assert client.post("/api/analyze/pd", json={"dataset_id": uploaded.get_json()["dataset_id"]}).status_code == 200
    return app


def test_schemathesis_no_server_error(seeded, request):
    # The schemathesis pytest plugin does not work with pytest 9, so each operation's
    # strategy is run by hypothesis directly.
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", seeded)
    calls: Counter = Counter()
    modes: Counter = Counter()
    unsatisfiable: Counter = Counter()
    statuses: Counter = Counter()
    server_errors: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode, examples in ((GenerationMode.POSITIVE, EXAMPLES_PER_OPERATION),
                               (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES_PER_OPERATION)):

            @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                calls[case.operation.label] += 1
                modes[case.meta.generation.mode.value if case.meta else "unknown"] += 1
                response = case.call()
                statuses[f"{response.status_code // 100}xx"] += 1
                try:
                    case.validate_response(response, checks=[not_a_server_error])
                except (Exception, BaseExceptionGroup):  # noqa: BLE001 - collected and reported below
                    server_errors.append(f"{case.operation.label} -> {response.status_code}: {case.as_curl_command()}")

            try:
                run()
            except Unsatisfiable:
                # An operation without parameters or body has no invalid variant to generate.
                unsatisfiable[mode.value] += 1
    record(f"schemathesis_{request.node.callspec.id}", {
        "operations": operations,
        "operations_tried": len(calls),
        "examples_tried": sum(calls.values()),
        "examples_by_mode": dict(modes),
        "operations_without_negative_cases": unsatisfiable["negative"],
        "max_examples_per_operation": {"positive": EXAMPLES_PER_OPERATION, "negative": NEGATIVE_EXAMPLES_PER_OPERATION},
        "responses_by_class": dict(sorted(statuses.items())),
        "server_errors": len(server_errors),
        "first_server_errors": server_errors[:5],
    })
    assert len(calls) == operations > 30
    assert not server_errors, server_errors[:10]
