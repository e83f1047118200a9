"""Property-based fuzz of the REST API from its own OpenAPI schema (Schemathesis): no request gets a 5xx
other than a deliberate 503 that names its reason.

A fixed seed and a bounded number of cases per operation keep the run short and repeatable; the app runs
with a real Redis and a real worker behind it, as in production.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings

from core.settings import Settings

pytestmark = pytest.mark.slow

CASES_PER_OPERATION = 12
SEED = 20261207


def operations(service_settings: Settings) -> list:
    from app.main import create_app

    app = create_app(service_settings.model_copy(update={"max_wait_s": 2.0}))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def server_error(status: int, body: str) -> bool:
    """A 5xx that is a fault. A 503 naming its reason is the service degrading on purpose (an empty Turing
    pool, a model not installed), which is what a client should see then."""
    return status >= 500 and not (status == 503 and '"detail"' in body)


def fuzz(op) -> None:
    """Up to CASES_PER_OPERATION requests built from ``op``'s schema; raises on the first 5xx."""

    @seed(SEED)
    @settings(max_examples=CASES_PER_OPERATION, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy())
    def run(case) -> None:
        response = case.call()
        assert not server_error(response.status_code, response.text), (
            f"{response.status_code} for {case.method} {case.formatted_path} "
            f"query={case.query} body={str(case.body)[:200]}: {response.text[:300]}")

    run()


def test_no_request_from_the_schema_gets_a_server_error(service_settings, worker):
    ops = operations(service_settings)
    assert len(ops) >= 15  # every route is in the schema (the task routes and their older names included)
    failures = []
    for op in ops:
        try:
            fuzz(op)
        except Exception as exc:  # collect every operation's failure, not only the first
            failures.append(f"{op.method.upper()} {op.path}: {str(exc)[:600]}")
    assert not failures, "\n\n".join(failures)
