"""The whole HTTP API against its own served schema, property-based (schemathesis): for every operation,
anonymously, as a bidder and as a supervisor, requests generated from /schema/openapi.json must get
answers that are no server error, have a documented status, content type and headers, match the
documented response schema, and pass every other check schemathesis runs by default (405 with Allow, a
missing required header refused, a schema-valid request accepted, ...: see CHECKS). A schema-valid
request is refused only where no schema keyword can state the reason, and only with the one status
REFUSALS_NO_KEYWORD_STATES names for that operation. A real ``sunbid serve`` on a real socket, over the
seeded demo city.

Bounded and reproducible: a few examples per operation, derandomized (the same cases on every run), no
shrinking; all three runs take a few minutes on a loaded two-core machine.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks

from core.access import SESSION_COOKIE
from core.migrate import upgrade
from core.runtime import Runtime
from core.settings import Settings
from demo import DEMO_PASSWORD
from demo.seeds import bidding as bidding_demo
from demo.seeds.core import seed_core
from tests.support.live import LiveServer, live_server

EXAMPLES_PER_OPERATION = 5
DEMO_SEED = 220200  # the demo's own seed
# schemathesis's default checks, every one; negative_data_rejection and object_level_authorization
# judge only negative-mode and multi-user cases, which this run does not generate.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.positive_data_acceptance,
    checks.missing_required_header,
    checks.unsupported_method,
    checks.allow_header_conformance,
    checks.use_after_free,
    checks.ensure_resource_availability,
    checks.ignored_auth,
    checks.negative_data_rejection,
    checks.object_level_authorization,
]

# positive_data_acceptance: a schema-valid request gets 2xx/3xx/401/403/404/409/429 (a 5xx is
# not_a_server_error's to judge). The schema states every rule a keyword can (lengths, patterns, enums,
# bounds, formats: tests/web/test_openapi_acceptance.py); these operations may also answer the one status
# below, for the reason no keyword can state. Each answer still carries the documented error body (the
# other checks hold it to the schema). Operation → (extra status, why no keyword can say it):
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis's own default
REFUSALS_NO_KEYWORD_STATES: dict[str, tuple[int, str]] = {
    "GET /api/credit/subjects/{kind}/{key}": (
        422,
        "the key's shape depends on {kind}; a credit code's check digit",
    ),
    "GET /api/credit/subjects/{kind}/{key}/history": (422, "as above"),
    "GET /api/credit/subjects/{kind}/{key}/history.svg": (422, "as above"),
    "POST /api/credit/deductions": (
        422,
        "subject_key's shape depends on subject_kind; a credit code's check digit",
    ),
    "GET /api/credit/deductions": (422, "as above: ?key's shape depends on ?kind"),
    "POST /api/credit/import": (422, "each line of the JSON-lines body is a record (the body is one string)"),
    "POST /api/organisations": (422, "a credit code's check digit and registration authority (GB 32100)"),
    "GET /api/feed": (400, "the cursor must be one a previous page handed out (opaque, signed)"),
    "GET /api/ocds/releases": (400, "as above, and ocid and cursor are not given together"),
    "PUT /api/tenders/{code}/lots/{lot}/submissions/{submission_id}": (
        422,
        "the manifest header must verify against the bidder's key and describe the envelope sent",
    ),
    "POST /api/catalog/items": (
        422,
        "the item code's kind letters must be the kind's, its main item code not 00000",
    ),
    "POST /api/catalog/bundles": (
        422,
        "items must name existing items, each once (code and code@region can be one)",
    ),
    "POST /api/catalog/import": (
        422,
        "each item row is checked as POST /api/catalog/items checks it (see above)",
    ),
    "PUT /api/catalog/holidays/{day}": (
        422,
        "a make-up workday must fall on a weekend: a rule on the path's date",
    ),
    "POST /api/experts": (422, "county must be a county of the platform (regions are data)"),
    "POST /api/experts/applications": (422, "as above: county must be a county of the platform"),
    "POST /api/experts/{code}/status": (
        422,
        "a reason is required only to suspend (a rule across two fields)",
    ),
    "POST /api/experts/import": (422, "the CSV body's header and rows (the body is one string)"),
    "POST /api/experts/draws": (
        422,
        "the evaluation date must not be past: it depends on the server's clock",
    ),
    "POST /api/tenders/{code}/lots/{lot}/opening/key": (
        422,
        "the file key must match the sealed bid's header MAC",
    ),
}


def schemathesis_config() -> schemathesis.Config:
    """schemathesis reads each check's expected statuses per operation from its config (what a
    schemathesis.toml's [[operations]] would say)."""
    operations = [
        {
            "include-name": name,
            "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, str(status)]}},
        }
        for name, (status, _reason) in REFUSALS_NO_KEYWORD_STATES.items()
    ]
    return schemathesis.Config.from_dict({"operations": operations})


# Operations not run, and why (nothing else is left out):
EXCLUDED = {
    # Ends the session the run logs in with; every later request would be anonymous.
    ("POST", "/api/auth/logout"),
    # Revokes tokens by id; generated ids hit the run's own session token and end it like a logout.
    ("DELETE", "/api/auth/tokens/{token_id}"),
}


@schemathesis.serializer("application/x-ndjson")
def json_lines(ctx: schemathesis.SerializationContext, value: object) -> bytes:
    """The credit exchange's JSON lines (POST /api/credit/import) go on the wire as generated."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


@pytest.fixture(scope="module")
def demo_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Settings]]:
    """``sunbid serve`` over the seeded demo city (SQLite: the property is the API's, not the engine's)."""
    folder = tmp_path_factory.mktemp("schemathesis")
    database_url = f"sqlite+aiosqlite:///{folder / 'sunbid.db'}"
    demo_settings = Settings(var_dir=folder / "var", database_url=database_url)
    asyncio.run(seed(demo_settings))
    with live_server(demo_settings, folder, startup_seconds=120) as server:
        yield server, demo_settings


async def seed(demo_settings: Settings) -> None:
    """The demo city's people and organisations and its tenders in every state (the demo's own seeds;
    not the whole ``sunbid demo --seed-only``, which takes minutes on a loaded machine)."""
    runtime = Runtime.build(demo_settings)
    try:
        await upgrade(runtime.engine)
        await seed_core(runtime, DEMO_SEED)
        await bidding_demo.seed(runtime, DEMO_SEED)
    finally:
        await runtime.close()


def logged_in(server: LiveServer, demo_settings: Settings, username: str | None) -> requests.Session:
    """A browser-like session: its session cookie, our Origin, and the CSRF token a page's form carries."""
    session = requests.Session()
    session.headers["Origin"] = server.url
    if username is not None:
        login = session.post(
            f"{server.url}/api/auth/login", json={"username": username, "password": DEMO_PASSWORD}, timeout=30
        )
        assert login.status_code == 200, login.text
        secret = session.cookies[SESSION_COOKIE]
        key = demo_settings.signing_key("csrf")
        session.headers["X-CSRF-Token"] = hmac.new(key, secret.encode(), sha256).hexdigest()
    return session


def failures_of(server: LiveServer, session: requests.Session) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{server.url}/schema/openapi.json", config=schemathesis_config())
    found: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in EXCLUDED:
            continue

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=server.url, session=session, checks=CHECKS, timeout=60)

        try:
            run()
        except (Exception, BaseExceptionGroup) as failure:  # collected: the report lists every operation
            found.append(f"{operation.label}: {type(failure).__name__}: {str(failure).strip()[:1500]}")
    return found


@pytest.mark.parametrize(
    "username",
    [None, "bidder", "supervisor"],
    ids=["anonymous", "bidder", "supervisor"],
)
def test_every_operation_answers_as_its_schema_says(
    demo_api: tuple[LiveServer, Settings], username: str | None, tmp_path: Path
) -> None:
    server, demo_settings = demo_api
    found = failures_of(server, logged_in(server, demo_settings, username))
    report = tmp_path / "failures.txt"
    report.write_text("\n\n".join(found))
    assert not found, f"{len(found)} operations failed (all in {report}):\n\n" + "\n\n".join(found)
