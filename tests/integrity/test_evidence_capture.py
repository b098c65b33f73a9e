"""Evidence captured end to end: three bids sealed and uploaded through the API (two from one device,
with one project manager's ID number, one author, near-identical technical documents, a shared
attachment, and one naming the other), opened online, their packages read by the capture job; the
supervisor's flags show it, and no bidder, expert, agent or member of the public sees any of it."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bidding import opening
from bidding import service as bidding
from bidding.client import device_digest, seal_bid
from bidding.evidence import DEVICE_HEADER, DEVICE_KEY_PURPOSE
from bidding.jobs import JOBS
from bidding.models import PackageEvidence, SubmissionEvidence
from bidding.submissions import MANIFEST_HEADER, encode_manifest
from core.clock import ManualClock
from core.errors import Conflict
from core.roles import Role
from core.runtime import Runtime
from crypto.age import unwrap_file_key
from integrity import jobs as integrity_jobs
from integrity.models import LotFlags, Stage
from tests.bidding.helpers import make_world, published_tender, register_all, upload_path
from tests.evaluation.world import CODE, principal
from tests.support.documents import docx, pdf
from tests.support.factories import bearer, make_user

PRICES = ["10000000.00", "10420000.00", "11030000.00"]
PLAN = [
    "第一章 施工部署：本工程划分为三个施工段，按先地下后地上、先结构后装饰的顺序组织流水施工。",
    "第二章 进度计划：总工期三百六十五日历天，关键线路为基础、主体结构、屋面及室外管网。",
    "第三章 质量保证：建立项目经理负责制，执行三检制度，隐蔽工程经监理验收后方可覆盖。",
    "第四章 安全文明施工：设置封闭围挡，配备专职安全员，每周开展一次安全教育与隐患排查。",
    "第五章 环境保护：土方运输车辆全部覆盖，施工现场洒水降尘，夜间不进行高噪声作业。",
]
OTHER_PLAN = [
    "施工方案概述：采用装配式支撑体系，主体结构分两个流水段，屋面工程在雨季前完成。",
    "工期安排：开工后九十天完成基础工程，二百四十天完成主体，竣工验收前留足三十天整改期。",
    "质量措施：材料进场复检，混凝土同条件养护试块，样板引路，首件验收。",
]
USER_AGENT = "sunbid-test-agent/1.0"
SHARED_DEVICE = device_digest({"kind": "cli", "hostname": "pc-01", "mac": "001122334455"})


async def _sealed_lot(runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path) -> Any:
    world = await make_world(runtime, client, bidders=3)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    names = [f"测试bidder{10 + i}" for i in range(3)]
    qualification = pdf(["Qualification certificate 2026-118"], author="Qualification office")
    docs = [
        # bidder 0: bidder 1's text with its own name, and bidder 1's company name left in (mixed up)
        [("tech.docx", docx([names[0], *PLAN, f"编制单位：{names[1]}"])), ("qual.pdf", qualification)],
        [("tech.docx", docx([names[1], *PLAN])), ("qual.pdf", qualification)],
        [("tech.docx", docx([names[2], *OTHER_PLAN], author="赵工", modified_by="赵工"))],
    ]
    managers = [
        ("李四", "220281198001011234"),
        ("李肆", "220281 19800101 1234"),
        ("王五", "220281197505052345"),
    ]
    devices = [SHARED_DEVICE, SHARED_DEVICE, device_digest({"kind": "cli", "hostname": "pc-02"})]
    sealed = []
    for n, bidder in enumerate(world.bidders):
        paths = []
        for name, data in docs[n]:
            folder = tmp_path / f"b{n}"
            folder.mkdir(exist_ok=True)
            (folder / name).write_bytes(data)
            paths.append(folder / name)
        form = {
            "price": PRICES[n],
            "duration_days": 365,
            "quality": "合格",
            "project_manager": managers[n][0],
            "project_manager_id": managers[n][1],
        }
        one = seal_bid(
            tender=tender,
            lot="1",
            form=form,
            attachments=paths,
            identity=bidder.identity,
            signing_key=bidder.signing_key,
            bidder=bidder.code,
            out=tmp_path / f"bid-{uuid.uuid4().hex[:8]}.age",
        )
        response = await client.put(
            upload_path(one),
            content=one.envelope.read_bytes(),
            headers={
                **bidder.headers,
                MANIFEST_HEADER: encode_manifest(one.signed),
                DEVICE_HEADER: devices[n],
                "User-Agent": USER_AGENT,
            },
        )
        assert response.status_code == 201, response.text
        sealed.append(one)
    return world, sealed


async def _open(runtime: Runtime, clock: ManualClock, world: Any, sealed: list[Any]) -> None:
    clock.advance(days=21, seconds=1)
    assert await opening.open_due(runtime) == [CODE]
    agent = await principal(runtime, "agent1")
    async with runtime.transaction() as session:
        await opening.start(session, runtime, agent, CODE)
    for bidder, one in zip(world.bidders, sealed, strict=True):
        with one.envelope.open("rb") as fh:
            key = unwrap_file_key(fh, [bidder.identity]).hex()
        await opening.reveal_key(runtime, await principal(runtime, bidder.username), CODE, "1", key)


async def test_evidence_is_captured_at_the_source_and_raises_the_flags(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world, sealed = await _sealed_lot(runtime, client, clock, tmp_path)

    # at the upload: the account, the address, the User-Agent and the keyed device fingerprint
    async with runtime.sessions() as session:
        rows = list(await session.scalars(select(SubmissionEvidence).order_by(SubmissionEvidence.id)))
    platform_key = runtime.settings.signing_key(DEVICE_KEY_PURPOSE)
    expected = hmac.new(platform_key, bytes.fromhex(SHARED_DEVICE), hashlib.sha256).hexdigest()
    assert [r.device for r in rows[:2]] == [expected, expected] and rows[2].device not in (None, expected)
    assert {r.user_agent for r in rows} == {USER_AGENT}
    assert all(r.client_ip for r in rows) and len({r.uploader_id for r in rows}) == 3

    # before the opening closes nothing of it can be read: it would say who bid
    await _open(runtime, clock, world, sealed)
    async with runtime.sessions() as session:
        with pytest.raises(Conflict):
            await bidding.lot_evidence(session, CODE, "1")
    agent = await principal(runtime, "agent1")
    async with runtime.transaction() as session:
        await opening.finish(session, runtime, agent, CODE, "1")

    # at the opening: the capture job reads each opened package once
    assert await bidding.capture_packages(runtime) == 3
    assert await bidding.capture_packages(runtime) == 0
    async with runtime.sessions() as session:
        packages = list(await session.scalars(select(PackageEvidence).order_by(PackageEvidence.id)))
    assert all(p.problems is None for p in packages)
    tech = next(f for f in packages[0].files if f["name"] == "attachments/tech.docx")
    assert tech["author"] == "张工" and tech["application"] == "Microsoft Office Word"
    assert "三检制度" in packages[0].text
    assert packages[0].manager_id == packages[1].manager_id != packages[2].manager_id
    assert packages[0].manager_id_tail == "1234"

    response = await client.get(f"/api/integrity/tenders/{CODE}", headers=world.supervisor)
    assert response.status_code == 200, response.text
    [lot] = response.json()
    flags = {flag["code"]: flag for flag in lot["flags"]}
    first_two = ["测试bidder10", "测试bidder11"]
    assert set(flags) == {"E1", "E3", "E4", "E6", "T1", "M1"}, flags
    for code in ("E1", "E3", "E4", "E6", "T1", "M1"):
        assert flags[code]["bidders"] == first_two, code
    assert flags["E1"]["figures"] == [f"设备指纹 (device fingerprint) {expected[:12]}…"]
    assert flags["E3"]["figures"] == ["李四（身份证号末四位 / ID number ending 1234）"]
    assert "测试bidder10: attachments/qual.pdf" in flags["E4"]["figures"]
    assert flags["E6"]["figures"] == ["文件作者 (document author) 张工"]
    assert flags["T1"]["basis"].endswith("第四十条第（四）项") and flags["T1"]["measure"] >= 0.8
    assert flags["M1"]["basis"].endswith("第四十条第（五）项") and flags["M1"]["measure"] == 1

    page = await client.get(f"/integrity/tenders/{CODE}", headers=world.supervisor)
    assert page.status_code == 200 and "设备指纹" in page.text and "技术文件异常一致" in page.text

    # no one else sees any of it: not the flags, not the evidence in their own views
    await make_user(runtime, "expert1", Role.EXPERT)
    others = [
        *(b.headers for b in world.bidders),
        world.agent,
        world.tenderer,
        await bearer(client, "expert1"),
        {},
    ]
    for headers in others:
        for path in (f"/api/integrity/tenders/{CODE}", f"/integrity/tenders/{CODE}"):
            denied = await client.get(path, headers=headers)
            assert denied.status_code in (401, 403), (path, headers, denied.status_code)
    own = await client.get(
        f"/api/submissions/{sealed[0].manifest.submission_id}", headers=world.bidders[0].headers
    )
    assert own.status_code == 200
    for secret in (expected, USER_AGENT, "三检制度", packages[0].manager_id):
        assert secret not in own.text
    record = await client.get(f"/api/tenders/{CODE}/submissions", headers=world.agent)
    assert record.status_code == 200 and expected not in record.text and USER_AGENT not in record.text


async def test_an_honest_lot_captured_in_full_raises_nothing(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=3)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    plans = [PLAN[:3], OTHER_PLAN, PLAN[3:] + OTHER_PLAN[:1]]
    sealed = []
    for n, bidder in enumerate(world.bidders):
        path = tmp_path / f"tech-{n}.docx"
        path.write_bytes(
            docx([f"测试bidder{10 + n}", *plans[n]], author=f"编制人{n}", modified_by=f"编制人{n}")
        )
        one = seal_bid(
            tender=tender,
            lot="1",
            form={"price": PRICES[n], "duration_days": 365, "quality": "合格", "project_manager": f"经理{n}"},
            attachments=[path],
            identity=bidder.identity,
            signing_key=bidder.signing_key,
            bidder=bidder.code,
            out=tmp_path / f"bid-{n}.age",
        )
        response = await client.put(
            upload_path(one),
            content=one.envelope.read_bytes(),
            headers={
                **bidder.headers,
                MANIFEST_HEADER: encode_manifest(one.signed),
                DEVICE_HEADER: device_digest({"kind": "cli", "hostname": f"pc-{n}"}),
            },
        )
        assert response.status_code == 201, response.text
        sealed.append(one)
    await _open(runtime, clock, world, sealed)
    async with runtime.transaction() as session:
        await opening.finish(session, runtime, await principal(runtime, "agent1"), CODE, "1")
    # the scheduler's job captures them (every 30 s in a running server)
    [job] = [job for job in JOBS if job.name == "bidding.capture_evidence"]
    await job.run(runtime)
    async with runtime.sessions() as session:
        assert len(list(await session.scalars(select(PackageEvidence)))) == 3
    response = await client.get(f"/api/integrity/tenders/{CODE}", headers=world.supervisor)
    assert [lot["flags"] for lot in response.json()] == [[]]


async def test_the_flags_stored_at_the_opening_carry_evidence_the_capture_job_has_not_read_yet(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    """integrity's job has the lot's packages read before it stores the opening's flags: the E3 flag on
    one ID number written two ways (the names differ: 李四 / 李肆) is there without bidding's job."""
    world, sealed = await _sealed_lot(runtime, client, clock, tmp_path)
    await _open(runtime, clock, world, sealed)
    async with runtime.transaction() as session:
        await opening.finish(session, runtime, await principal(runtime, "agent1"), CODE, "1")
    async with runtime.sessions() as session:
        assert list(await session.scalars(select(PackageEvidence))) == []  # bidding's job has not run

    await integrity_jobs.compute_flags(runtime)
    async with runtime.sessions() as session:
        [row] = list(await session.scalars(select(LotFlags)))
        assert len(list(await session.scalars(select(PackageEvidence)))) == 3
    flags = {flag["rule"]: flag for flag in row.flags}
    assert row.stage == Stage.OPENING and set(flags) == {"E1", "E3", "E4", "E6", "T1", "M1"}
    assert flags["E3"]["figures"] == ["李四（身份证号末四位 / ID number ending 1234）"]
    assert flags["E3"]["bidders"] == ["测试bidder10", "测试bidder11"]
    assert await bidding.capture_packages(runtime) == 0  # read once: bidding's job finds nothing left
