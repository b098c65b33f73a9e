"""The bidder's in-browser sealing page: fill the bid form, attach files, seal and upload.

Everything secret stays in the page (web/static/bidding/seal.js): the age identity is read from a
file the bidder picks (or generated there and downloaded), the bid package is zipped, encrypted to
the bidder's own recipient and the tender's opening recipient, and its manifest signed with the
Ed25519 key HKDF-derived from the identity, exactly as ``sunbid bid seal`` does. The form is drawn
from the lot's bid-form JSON Schema (bidding/bid_form.py, the one the opening and the CLI check
against). The server sends only what the page needs to do that and receives only the envelope and
the signed manifest, through the same upload API the CLI uses.
"""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.params import FromPath
from litestar.response import Template

import bidding.i18n_seal
from bidding import bid_form, registration, submissions
from bidding.common import lot_of, moment_of, visible_tender
from bidding.evidence import DEVICE_HEADER
from bidding.models import Lot
from core.access import Caller, allow
from core.clock import format_local
from core.i18n import language_of, translator
from core.rendering import page
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest


def _texts(request: AnyRequest) -> dict[str, str]:
    t = translator(language_of(request))
    return {key.removeprefix("seal.js."): t(key) for key in bidding.i18n_seal.JS_KEYS}


@get("/tenders/{code:str}/lots/{lot:str}/seal", opt=allow(Role.BIDDER), include_in_schema=False)
async def seal_page(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, code: FromPath[str], lot: FromPath[str]
) -> Template:
    """在线制作并密封投标文件: the form, attachments, identity, sealing and upload, all in the page."""
    org = await registration.bidder_org(db, principal)
    tender = await visible_tender(db, code, principal)
    found = await lot_of(db, tender, lot)
    registered = await registration.registration_of(db, tender.id, org.id)
    moment = moment_of(tender, runtime.clock.now())
    active = []
    for s in await submissions.own_submissions(db, principal, tender.id):
        mine = await db.get(Lot, s.lot_id)
        if mine is not None and mine.id == found.id and s.status == submissions.ACTIVE:
            active.append(s.submission_id)
    data: dict[str, Any] = {
        "tender": tender.code,
        "lot": found.number,
        "bidder": org.credit_code,
        "organisation_id": org.id,
        "signing_key": org.signing_key,
        "opening_recipient": tender.opening_recipient,
        "schema": bid_form.schema_for(
            tender.form_fields,
            code=tender.code,
            lot=found.number,
            ceiling_price=found.ceiling_price,
            bond_forms=tender.bond_forms,
        ),
        "max_envelope_bytes": tender.max_envelope_bytes,
        "supersedes": active[0] if active else None,
        "manifest_header": submissions.MANIFEST_HEADER,
        "device_header": DEVICE_HEADER,
    }
    return page(
        request,
        "bidding/seal.html",
        tender=tender,
        lot=found,
        org=org,
        registered=registered,
        accepting=moment.accepting_bids,
        deadline=format_local(tender.bid_deadline),
        seal_data=data,
        seal_texts=_texts(request),
    )


ROUTE_HANDLERS = [seal_page]
