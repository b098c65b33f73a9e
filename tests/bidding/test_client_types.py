"""The CLI speaks the server's own types (issue 17 point 7): every HTTP call `sunbid` makes sends the
Struct its route declares and decodes the answer into the type the route returns, and the signed
manifest and withdrawal it builds as typed statements are the bytes the server verifies."""

from __future__ import annotations

import base64
import json
import typing
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler

from bidding.bid_form import BidFormSchema
from bidding.client import (
    MANIFEST_SUFFIX,
    TenderToSeal,
    as_tender,
    load_manifest,
    lot_schema,
    manifest_header,
    seal_bid,
    withdrawal,
)
from bidding.criteria import DEFAULT_FORM_FIELDS, validate_form_fields
from bidding.opening.views import BidOpened, OwnHeader, ShareRevealed
from bidding.opening_api import KeyBody, ShareBody
from bidding.submissions import WITHDRAWAL_TYPE, decode_manifest
from bidding.views import (
    OwnSubmission,
    OwnSubmissionStatus,
    SignedManifest,
    SignedWithdrawal,
    TenderDetail,
    Withdrawn,
)
from contracts.service import ContractOut, RefuseContract, SignContract
from core.access import route_handlers
from core.api import SigningKeyBody, TokenBody
from core.client import body
from core.views import NewToken, OrganisationOut, UserOut
from crypto.age import X25519Identity
from crypto.signing import (
    SignedStatement,
    generate_private_key,
    public_key_to_text,
    verify_manifest,
    verify_statement,
)

CODE = "JLZB-2026-001"
BIDDER = "91220281MA0Y4K3J5T"

# Every HTTP call of `sunbid` (bidding/cli.py, bidding/cli_opening.py, contracts/cli.py): the route, the
# Struct it sends (None: no JSON body) and the type it decodes the answer into.
CLI_CALLS: list[tuple[str, str, type | None, Any]] = [
    ("POST", "/api/auth/tokens", TokenBody, NewToken),
    ("GET", "/api/auth/me", None, UserOut),
    ("GET", "/api/organisations/{org_id:int}", None, OrganisationOut),
    ("PUT", "/api/organisations/{org_id:int}/signing-key", SigningKeyBody, OrganisationOut),
    ("GET", "/api/tenders/{code:str}", None, TenderDetail),
    ("GET", "/api/tenders/{code:str}/lots/{lot:str}/bid-form.schema.json", None, BidFormSchema),
    ("GET", "/api/submissions/{submission_id:str}", None, OwnSubmissionStatus),
    ("GET", "/api/submissions", None, list[OwnSubmission]),
    ("POST", "/api/submissions/{submission_id:str}/withdrawal", SignedWithdrawal, Withdrawn),
    ("GET", "/api/tenders/{code:str}/lots/{lot:str}/opening/header", None, OwnHeader),
    ("POST", "/api/tenders/{code:str}/lots/{lot:str}/opening/key", KeyBody, BidOpened),
    ("POST", "/api/tenders/{code:str}/opening/shares", ShareBody, ShareRevealed),
    ("GET", "/api/contracts", None, list[ContractOut]),
    ("GET", "/api/contracts/{contract_id:int}", None, ContractOut),
    ("POST", "/api/contracts/{contract_id:int}/sign", SignContract, ContractOut),
    ("POST", "/api/contracts/{contract_id:int}/refuse", RefuseContract, ContractOut),
]


def _handler(app: Litestar, method: str, path: str) -> HTTPRouteHandler:
    for route_path, handler in route_handlers(app):
        if route_path == path and isinstance(handler, HTTPRouteHandler) and method in handler.http_methods:
            return handler
    raise AssertionError(f"the server has no {method} {path}, which the CLI calls")


def _bare(annotation: Any) -> Any:
    """``Annotated[T, ...]`` (a JSONBody) as ``T``."""
    return typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation


def test_every_cli_call_sends_and_reads_its_routes_own_types(app: Litestar) -> None:
    wrong = []
    for method, path, sent, answer in CLI_CALLS:
        handler = _handler(app, method, path)
        hints = typing.get_type_hints(handler.fn, include_extras=True)
        data = _bare(hints["data"]) if "data" in hints else None
        if data is not sent:
            wrong.append(f"{method} {path}: the route reads {data}, the CLI sends {sent}")
        if _bare(hints["return"]) != answer:
            wrong.append(f"{method} {path}: the route answers {hints['return']}, the CLI reads {answer}")
    assert not wrong, "\n".join(wrong)


def _offline_tender() -> dict[str, Any]:
    return {
        "code": CODE,
        "form_fields": validate_form_fields(DEFAULT_FORM_FIELDS),
        "bond": {"amount": "200000.00", "forms": ["deposit"]},
        "lots": [{"number": "1", "ceiling_price": "11500000.00"}],
        "opening_recipient": X25519Identity.generate().recipient().to_str(),
    }


def test_the_tender_to_seal_reads_the_servers_form_fields_and_builds_its_schema() -> None:
    tender = as_tender(_offline_tender())
    assert isinstance(tender, TenderToSeal) and tender.form_fields[0].name == "price"
    schema = lot_schema(tender, "1")
    typed = msgspec.convert(schema, BidFormSchema)  # what the server's route answers
    assert (typed.tender, typed.lot, typed.ceiling_price) == (CODE, "1", "11500000.00")
    assert msgspec.to_builtins(typed) == schema  # nothing lost or added through the type
    with pytest.raises(ValueError, match="form_fields"):
        as_tender({**_offline_tender(), "form_fields": [{"name": "price", "surprise": 1}]})


@pytest.mark.parametrize("supersedes", [None, "8f2e4c1a-7b3d-4e5f-9a6b-0c1d2e3f4a5b"])
def test_a_typed_manifest_and_withdrawal_are_the_signed_bytes_the_server_verifies(
    tmp_path: Path, supersedes: str | None
) -> None:
    identity, key = X25519Identity.generate(), generate_private_key()
    attachment = tmp_path / "technical_plan.pdf"
    attachment.write_bytes(b"%PDF-1.4 plan")
    form = {"price": "10999999.50", "duration_days": 300, "quality": "优良", "project_manager": "王五"}
    out = tmp_path / "bid.age"
    seal_bid(
        tender=_offline_tender(), lot="1", form=form, attachments=[attachment], identity=identity,
        signing_key=key, bidder=BIDDER, out=out, supersedes=supersedes,
    )  # fmt: skip
    written = out.with_name(out.name + MANIFEST_SUFFIX).read_bytes()
    typed = load_manifest(out.with_name(out.name + MANIFEST_SUFFIX))
    assert isinstance(typed, SignedManifest) and typed.statement.bidder == BIDDER
    assert typed.statement.supersedes == supersedes

    # the header carries exactly the signed JSON the file holds, and the server verifies it
    header = manifest_header(typed)
    assert base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)) + b"\n" == written
    received = decode_manifest(header)
    assert verify_manifest(received, key.public_key()).submission_id == typed.statement.submission_id

    # the withdrawal: the route's body type, decoded from the JSON the CLI sends, verifies as the
    # server verifies it (the Struct's builtins are the signed statement)
    sent = json.dumps(body(withdrawal(typed, key)))
    decoded = msgspec.json.decode(sent, type=SignedWithdrawal)
    assert decoded.statement.submission_id == typed.statement.submission_id
    signed = SignedStatement.from_dict(msgspec.to_builtins(decoded))
    statement = verify_statement(signed, key.public_key(), expected_type=WITHDRAWAL_TYPE)
    assert statement["bidder"] == BIDDER and statement["tender"] == CODE
    assert public_key_to_text(key.public_key()).startswith("ed25519:")


def test_a_bid_form_schema_for_another_tender_or_lot_is_refused(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from web.cli import main

    tender = tmp_path / "tender.json"
    tender.write_text(json.dumps(_offline_tender(), ensure_ascii=False), "utf-8")
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(lot_schema(_offline_tender(), "1"), ensure_ascii=False), "utf-8")
    runner = CliRunner()
    shown = runner.invoke(main, ["bid", "form", CODE, "1", "--tender-file", str(tender)])
    assert shown.exit_code == 0 and json.loads(shown.output)["x-tender"] == CODE
    other = runner.invoke(main, ["bid", "form", "JLZB-2026-009", "1", "--tender-file", str(tender)])
    assert other.exit_code != 0 and "is for JLZB-2026-001 lot 1, not JLZB-2026-009 lot 1" in other.output
    bid = tmp_path / "bid.json"
    bid.write_text(json.dumps({"price": "1.00"}), "utf-8")
    sealed = runner.invoke(
        main,
        ["bid", "seal", "--tender", CODE, "--lot", "2", "--form", str(bid), "--identity", str(tender),
         "-o", str(tmp_path / "bid.age"), "--tender-file", str(tender), "--schema", str(schema),
         "--bidder", BIDDER],
    )  # fmt: skip
    assert sealed.exit_code != 0 and "not JLZB-2026-001 lot 2" in sealed.output, sealed.output
    schema.write_text('{"type": "object"}', "utf-8")
    broken = runner.invoke(main, ["bid", "seal", "--tender", CODE, "--form", str(bid), "--identity",
                                  str(tender), "-o", str(tmp_path / "bid.age"), "--tender-file", str(tender),
                                  "--schema", str(schema), "--bidder", BIDDER])  # fmt: skip
    assert broken.exit_code != 0 and "not a bid-form schema" in broken.output, broken.output


def test_an_error_answer_is_read_as_the_apis_error_body() -> None:
    import click
    import httpx

    from core.client import check

    refused = httpx.Response(
        400,
        json={
            "error": "invalid_request",
            "detail": "请求有误 (invalid request)",
            "fields": [{"key": "statement.lot", "message": "Expected `str`", "source": "body"}],
        },
    )
    with pytest.raises(click.ClickException) as said:
        check(refused, Withdrawn)
    assert said.value.message == (
        "server said 400 invalid_request: 请求有误 (invalid request)\n  - statement.lot: Expected `str`"
    )
    with pytest.raises(click.ClickException) as proxy:
        check(httpx.Response(502, text="<html>Bad Gateway</html>"), Withdrawn)
    assert proxy.value.message == "server said 502 <html>Bad Gateway</html>"
