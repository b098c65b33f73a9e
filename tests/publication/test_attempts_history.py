"""Re-tendering in the public history (/tenders/{code}/history): the failed tender and its re-tender link
to each other's history, each naming its attempt, and the failure and the second failure are said in
words with their articles (《招标投标法实施条例》第四十四条, 《工程建设项目施工招标投标办法》第三十八条)."""

from __future__ import annotations

from typing import Any

from core.clock import ManualClock
from core.runtime import Runtime
from publication.config import OcdsConfig
from tests.bidding.test_retender import AGAIN, CODE, _failed, fail_by_opening, retender_body
from tests.publication.ocds_schema import assert_valid

HTML = {"accept": "text/html"}


async def history(client: Any, code: str, lang: str) -> str:
    got = await client.get(f"/tenders/{code}/history?lang={lang}", headers=HTML)
    assert got.status_code == 200, got.text
    return got.text


def section(page: str) -> str:
    """The attempts card ("" when the page has none)."""
    if 'id="attempts"' not in page:
        return ""
    return page.split('id="attempts"', 1)[1].split("</section>", 1)[0]


async def test_the_public_history_links_the_attempts_both_ways_and_says_the_second_failure(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    world, old = await _failed(runtime, client, clock)
    first = section(await history(client, CODE, "zh"))
    assert "第 1 次招标" in first and 'id="attempt-failed"' in first
    assert "依法重新招标" in first and "《招标投标法实施条例》第四十四条" in first
    assert 'id="attempt-next"' not in first and 'id="attempt-previous"' not in first

    made = await client.post(
        f"/api/tenders/{CODE}/retender", json=retender_body(runtime), headers=world.agent
    )
    assert made.status_code == 201, made.text
    # a draft re-tender is not public: the failed tender's history does not link it yet
    assert 'id="attempt-next"' not in section(await history(client, CODE, "zh"))
    assert (await client.get(f"/tenders/{AGAIN}/history", headers=HTML)).status_code == 404
    assert (await client.post(f"/api/tenders/{AGAIN}/publish", headers=world.agent)).status_code == 200

    forward = section(await history(client, CODE, "zh"))
    assert "本项目流标后已重新招标（第 2 次招标）" in forward
    assert f'href="/tenders/{AGAIN}/history"' in forward and f"{old['title']}（重新招标）" in forward
    record = (
        await client.get(f"/api/ocds/records/{OcdsConfig.from_settings(runtime.settings).ocid(AGAIN)}")
    ).json()
    assert_valid(record)
    (related,) = record["records"][0]["compiledRelease"]["relatedProcesses"]
    assert related["relationship"] == ["unsuccessfulProcess"] and related["identifier"].endswith(CODE)
    back = section(await history(client, AGAIN, "zh"))
    assert "第 2 次招标" in back and "以下流标项目的重新招标（第 1 次招标）" in back
    assert f'href="/tenders/{CODE}/history"' in back and f"{CODE}</span> · 流标" in back
    assert 'id="attempt-failed"' not in back and 'id="attempt-failed-again"' not in back
    english = section(await history(client, AGAIN, "en"))
    assert "Attempt 2" in english and "This tender re-tenders a failed tender (attempt 1)" in english
    english_old = section(await history(client, CODE, "en"))
    assert "After this tender failed it was tendered again (attempt 2)" in english_old

    await fail_by_opening(runtime, clock, AGAIN)
    again = section(await history(client, AGAIN, "zh"))
    assert "再次流标（第二次流标）" in again and "《工程建设项目施工招标投标办法》第三十八条" in again
    assert 'id="attempt-failed"' not in again and f'href="/tenders/{CODE}/history"' in again
    again_en = section(await history(client, AGAIN, "en"))
    assert "The re-tender failed too (the second failure)" in again_en and "第三十八条" in again_en
    for page in (again, again_en, forward):
        assert "failed_again" not in page and "retender" not in page and "draft" not in page
