"""Complaints' pages (plain forms, no scripts): a company files and follows its complaints and uploads
evidence; supervisors keep the case list with due dates and warnings, and accept, suspend and decide
on a case page. A refused form comes back with the reason and what was typed."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

import disputes.i18n  # noqa: F401  (registers the page texts)
from bidding import service as bidding
from core.access import Caller, allow
from core.errors import DomainError, InvalidInput
from core.rendering import page
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest, Form
from disputes import complaints
from disputes.complaints import FAULT_KINDS
from disputes.periods import Matter, Remedy


async def _mine(request: AnyRequest, runtime: Rt, principal: Caller, db: Db, **extra: Any) -> Template:
    rows = await complaints.complaints_of_bidder(db, runtime, principal)
    status = 422 if extra.get("error") else 200
    extra.setdefault("form", {"tender": request.query_params.get("tender", "")})
    return page(request, "disputes/complaints_mine.html", status_code=status, rows=rows, matters=list(Matter),
                **extra)  # fmt: skip


@get("/complaints", opt=allow(Role.BIDDER), include_in_schema=False)
async def my_complaints(request: AnyRequest, runtime: Rt, principal: Caller, db: Db) -> Template:
    return await _mine(request, runtime, principal, db)


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            "请填写知道投诉事项的日期 (give the day you knew of the matter)", code="bad_date"
        ) from None


def _number(raw: str) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise InvalidInput("异议编号应为数字 (the objection number is a number)", code="bad_objection")
    return int(raw)


@post("/complaints", opt=allow(Role.BIDDER), include_in_schema=False, status_code=303)
async def file_complaint(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, data: Form
) -> Redirect | Template:
    matter = data.get("matter", "")
    try:
        if matter not in {m.value for m in Matter}:
            raise InvalidInput("请选择投诉事项 (choose what the complaint is about)", code="bad_matter")
        async with db.begin_nested():
            await complaints.file_complaint(
                db, runtime, principal, data.get("tender", "").strip(), Matter(matter),
                data.get("request", ""), data.get("grounds", ""), _day(data.get("knew_on", "")),
                lot=data.get("lot", ""), objection=_number(data.get("objection", "")),
            )  # fmt: skip
    except DomainError as error:
        return await _mine(request, runtime, principal, db, form=data, error=error.detail)
    return Redirect("/complaints", status_code=303)


@post("/complaints/{complaint_id:int}/documents", opt=allow(Role.BIDDER), include_in_schema=False,
      status_code=303, request_max_body_size=complaints.MAX_DOCUMENT_BYTES + 65536)  # fmt: skip
async def add_document(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, complaint_id: FromPath[int]
) -> Redirect | Template:
    form = await request.form()
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile):
            raise InvalidInput("请选择文件 (choose a file)", code="bad_document")
        content = await upload.read()
        async with db.begin_nested():
            await complaints.add_document(db, runtime, principal, complaint_id, upload.filename, content)
    except DomainError as error:
        return await _mine(request, runtime, principal, db, error=error.detail)
    return Redirect("/complaints", status_code=303)


@get("/complaints/cases", opt=allow(Role.SUPERVISOR), include_in_schema=False)
async def case_list(request: AnyRequest, runtime: Rt, principal: Caller, db: Db) -> Template:
    rows = await complaints.cases(db, runtime, principal)
    return page(request, "disputes/complaints_cases.html", rows=rows)


async def _case(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, complaint_id: int, **extra: Any
) -> Template:
    found = await complaints.get_complaint(db, runtime, principal, complaint_id)
    status = 422 if extra.get("error") else 200
    return page(request, "disputes/complaints_case.html", status_code=status, c=found, remedies=list(Remedy),
                fault_kinds=FAULT_KINDS, form=extra.pop("form", {}), **extra)  # fmt: skip


@get("/complaints/cases/{complaint_id:int}", opt=allow(Role.SUPERVISOR), include_in_schema=False)
async def case_page(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, complaint_id: FromPath[int]
) -> Template:
    return await _case(request, runtime, principal, db, complaint_id)


async def _act(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, complaint_id: int, data: dict[str, str],
    action: str,
) -> Redirect | Template:  # fmt: skip
    try:
        async with db.begin_nested():
            if action == "acceptance":
                await complaints.decide_acceptance(
                    db, runtime, principal, complaint_id, data.get("accept") == "yes", data.get("reason", "")
                )
            elif action == "suspension":
                step = data.get("step", "")
                if step not in {s.value for s in bidding.Step}:
                    raise InvalidInput("请选择暂停事项 (choose what to suspend)", code="bad_step")
                await complaints.order_suspension(db, runtime, principal, complaint_id, bidding.Step(step))
            else:
                remedy = data.get("remedy", "")
                fault_kind = data.get("fault_kind", "") or None
                await complaints.decide(
                    db, runtime, principal, complaint_id, upheld=data.get("outcome") == "upheld",
                    reasons=data.get("reasons", ""),
                    remedy=Remedy(remedy) if remedy in {r.value for r in Remedy} else None,
                    fault_kind=fault_kind, fault_party=data.get("fault_party", "").strip() or None,
                    malicious=data.get("malicious") == "yes",
                )  # fmt: skip
    except DomainError as error:
        return await _case(request, runtime, principal, db, complaint_id, form=data, error=error.detail)
    return Redirect(f"/complaints/cases/{complaint_id}", status_code=303)


@post("/complaints/cases/{complaint_id:int}/acceptance", opt=allow(Role.SUPERVISOR), include_in_schema=False,
      status_code=303)  # fmt: skip
async def acceptance(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, complaint_id: FromPath[int], data: Form
) -> Redirect | Template:
    return await _act(request, runtime, principal, db, complaint_id, data, "acceptance")


@post("/complaints/cases/{complaint_id:int}/suspension", opt=allow(Role.SUPERVISOR), include_in_schema=False,
      status_code=303)  # fmt: skip
async def suspension(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, complaint_id: FromPath[int], data: Form
) -> Redirect | Template:
    return await _act(request, runtime, principal, db, complaint_id, data, "suspension")


@post("/complaints/cases/{complaint_id:int}/decision", opt=allow(Role.SUPERVISOR), include_in_schema=False,
      status_code=303)  # fmt: skip
async def decision(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, complaint_id: FromPath[int], data: Form
) -> Redirect | Template:
    return await _act(request, runtime, principal, db, complaint_id, data, "decision")


ROUTE_HANDLERS = [
    my_complaints, file_complaint, add_document, case_list, case_page, acceptance, suspension, decision,
]  # fmt: skip
