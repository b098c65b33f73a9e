"""Role matrix for every credit route: public reads for anyone; 401 logged out and 403 for each
wrong role everywhere else."""

from __future__ import annotations

from litestar import Litestar

from core.access import PUBLIC_MARK, ROLES_KEY, route_handlers
from core.roles import Role
from core.runtime import Runtime
from tests.credit.helpers import code, deduct, setup
from tests.support.factories import bearer, make_user

SUBJECTS = {Role.BIDDER, Role.AGENT, Role.TENDERER, Role.EXPERT}
SUP = {Role.SUPERVISOR}
PROTECTED = [
    ("post", "/api/credit/rules", SUP),
    ("put", "/api/credit/rules/B01", SUP),
    ("get", "/api/credit/deductions", SUP),
    ("post", "/api/credit/deductions", SUP),
    ("get", "/api/credit/deductions/1", SUP | SUBJECTS),
    ("post", "/api/credit/deductions/1/documents", SUP),
    ("get", "/api/credit/deductions/1/documents/1", SUP | SUBJECTS),
    ("get", "/api/credit/appeals", SUP | SUBJECTS),
    ("post", "/api/credit/appeals", SUBJECTS),
    ("post", "/api/credit/appeals/1/decision", SUP),
    ("post", "/api/credit/links", SUP),
    ("get", "/api/credit/export", SUP),
    ("post", "/api/credit/import", SUP),
    ("post", "/api/credit/recompute", SUP),
    ("get", "/credit/admin", SUP),
    ("post", "/credit/admin/deductions", SUP),
    ("post", "/credit/admin/rules", SUP),
    ("post", "/credit/admin/appeals/1", SUP),
    ("get", "/credit/admin/rules/B01", SUP),
    ("post", "/credit/admin/rules/B01", SUP),
    ("get", "/credit/mine", SUBJECTS),
    ("post", "/credit/mine/appeals", SUBJECTS),
]
PUBLIC = [
    "/api/credit/rules",
    f"/api/credit/subjects/bidder/{code(1)}",
    f"/api/credit/subjects/bidder/{code(1)}/history",
    f"/api/credit/subjects/bidder/{code(1)}/history.svg",
    "/api/credit/rankings",
    "/credit",
    f"/credit/subjects/bidder/{code(1)}",
    "/credit/rules",
]
ROLE_REFUSAL = "your role may not do this"


def test_the_matrix_names_every_credit_route(app: Litestar) -> None:
    declared = {
        (path, handler.opt[ROLES_KEY] == PUBLIC_MARK)
        for path, handler in route_handlers(app)
        if "/credit" in path and "OPTIONS" not in getattr(handler, "http_methods", set())
    }
    public = {path for path, is_public in declared if is_public}
    protected = {path for path, is_public in declared if not is_public}
    assert len(public) == len(PUBLIC) + 1  # + /credit/lookup, a redirect
    assert len(protected) == len({path for _, path, _ in PROTECTED})


async def test_credit_routes_401_logged_out_and_403_for_each_wrong_role(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    await setup(runtime)
    await deduct(runtime, "bidder", code(1), "B01")
    headers = {}
    for role in Role:
        await make_user(runtime, f"u-{role.value}", role)
        headers[role] = await bearer(client, f"u-{role.value}")
    for path in PUBLIC:
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text)
    for method, path, allowed in PROTECTED:
        logged_out = await client.request(method, path, json={})
        assert logged_out.status_code == 401, (method, path, logged_out.text)
        assert logged_out.json()["error"] == "not_authenticated"
        for role in Role:
            response = await client.request(method, path, json={}, headers=headers[role])
            if role in allowed:
                # Past the guard: the handler may still refuse (not yours, bad input), not for the role.
                assert response.status_code not in (401, 500), (method, path, role, response.text)
                assert ROLE_REFUSAL not in response.text, (method, path, role)
            else:
                assert response.status_code == 403, (method, path, role, response.text)
                assert response.json()["error"] == "forbidden" and ROLE_REFUSAL in response.text
