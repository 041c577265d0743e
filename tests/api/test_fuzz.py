"""Property-based fuzzing of the real API from its own OpenAPI schema (schemathesis + Hypothesis).

Every operation gets generated requests, valid ones (positive) and invalid ones
(negative). No request may get a 5xx, and every response must match what the
schema documents: its status code, content type and body. Valid requests must be
accepted and invalid ones rejected with a 4xx.
"""

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis import checks as st_checks

from lib import paths, processes

pytestmark = pytest.mark.slow  # starts a real server and sends it 1000 generated requests

EXAMPLES = {GenerationMode.POSITIVE: 500, GenerationMode.NEGATIVE: 500}
CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
]
MODE_CHECKS = {
    GenerationMode.POSITIVE: [st_checks.positive_data_acceptance],
    GenerationMode.NEGATIVE: [st_checks.negative_data_rejection],
}


@pytest.fixture(scope="module")
def live_api(project):
    """The API in its own uvicorn process on loopback, serving the pipeline's model."""
    with processes.start_server(env={"PENGUINS_MODELS_DIR": str(paths.MODELS_DIR)}) as server:
        yield server


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=[m.value for m in EXAMPLES])
def test_no_request_breaks_the_api_or_its_schema(live_api, mode):
    """Generated requests never get a 5xx or a response outside the documented schema."""
    schema = schemathesis.openapi.from_url(f"{live_api.url}/openapi.json")
    statuses: Counter = Counter()

    @given(case=schema.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case):
        response = case.call(base_url=live_api.url, timeout=10)
        statuses[(case.operation.label, response.status_code)] += 1
        case.validate_response(response, checks=CHECKS + MODE_CHECKS[mode])

    fuzz()
    print(f"\n{mode.value}: {sum(statuses.values())} requests: {dict(sorted(statuses.items()))}")
    assert sum(statuses.values()) >= 100
    assert not any(status >= 500 for _, status in statuses)
