"""The sealed-upload path on the S3 blob store (a local SeaweedFS): accept, and reject a late commit."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bidding.models import Submission
from core.clock import ManualClock
from core.runtime import Runtime
from core.settings import Settings
from tests.bidding.helpers import make_world, published_tender, register_all, seal, upload


@pytest.fixture
def settings(tmp_path: Path, database_url: str, s3_bucket_url: str) -> Settings:
    return Settings(
        var_dir=tmp_path / "var", database_url=database_url, blob_url=s3_bucket_url, run_scheduler=False
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sealed_bid_on_s3(
    runtime: Runtime,
    client,  # type: ignore[no-untyped-def]
    clock: ManualClock,
    tmp_path: Path,
    database_url: str,
) -> None:
    world = await make_world(runtime, client, bidders=1)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    bidder = world.bidders[0]
    sealed = seal(tmp_path, tender, bidder, attachment=b"z" * 200_000)
    response = await upload(client, bidder, sealed)
    assert response.status_code == 201, response.text
    async with runtime.sessions() as session:
        key = await session.scalar(select(Submission.blob_key))
    assert key is not None and await (await runtime.blobs.open(key)).read() == sealed.envelope.read_bytes()
    clock.advance(timedelta(days=21))
    late = seal(tmp_path, tender, bidder)
    assert (await upload(client, bidder, late)).json()["error"] == "deadline_passed"
