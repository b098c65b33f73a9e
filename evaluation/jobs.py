"""evaluation's scheduled jobs."""

from __future__ import annotations

from datetime import timedelta

from core.scheduler import Job
from evaluation import demo_room

JOBS = [
    # Only does anything in the demo, once the demo's live opening has closed (see demo_room.py).
    Job("evaluation.demo_room", timedelta(milliseconds=500), demo_room.drive, lease=timedelta(seconds=60)),
]
