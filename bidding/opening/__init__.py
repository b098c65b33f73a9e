"""The timed online opening (不见面开标): deadline → opening exactly once, keys, custodians, 唱标, record.

One module per concern: ``window`` (the deadline, the host's start, the clock moving the script on),
``keys`` (bidders' file keys, streaming decryption, recovery), ``custody`` (custodians' shares),
``coefficient`` (the open draw), ``record`` (唱标, confirmations, objections, the signed record) and
``common``. Import the names from here (``from bidding import opening``).

Script, per lot (each lot has its own ``Opening`` row and room ``opening:<tender>:<lot>``):

    awaiting_host  the deadline passed; the tender moved to ``opening`` exactly once (``open_due``);
                   a host who has not started ``Rules.opening_autostart_minutes`` after the deadline
                   is replaced by the platform (``autostart_due``)
    decrypting     the host started: bids listed, seal salts revealed, the window counts down;
                   bidders reveal their bids' 16-byte file keys (``reveal_key``); the window
                   closes early once every bid is opened or failed (``settle``)
    custody        window over with bids left and the tender has custodians: they reveal shares
                   (``reveal_share``); k shares are combined, checked against the opening recipient
                   and open what is left
    confirming     the coefficient is drawn (commit–reveal), the 唱标 table is read out; bidders
                   confirm or object (``confirm`` / ``object_to``), the host answers (``answer``)
    closed|failed  the opening record is signed, published and logged (``advance`` / ``finish``);
                   a lot with fewer valid bids than ``Rules.min_valid_bids`` fails (流标)

Art. 31 of 《电子招标投标办法》: a bid that cannot be opened through the bidder's fault (no key in time
and no custodians, or a key or opening stanza that does not match) is revoked (撤销) and raises the
credit event ``bid.decryption_failed_bidder_fault``; any other failure counts as withdrawn (撤回).

Exactly once: every time-driven step is a conditional UPDATE on the phase; only the transaction whose
UPDATE matched appends the audit entry and the room event. The scheduler's leases only save work.
"""

from __future__ import annotations

from bidding.opening.coefficient import coefficient_from, contribute
from bidding.opening.common import (
    ACTIVE_PHASES,
    AWAITING_HOST,
    CLOSED,
    CONFIRM_MINUTES,
    CONFIRMING,
    CREDIT_EVENT,
    CUSTODY,
    DECRYPTING,
    DECRYPTING_BID,
    FAILED,
    OPENED,
    OUTCOMES,
    QUEUED,
    RECORD_TYPE,
    REJECTED,
    REVOKED,
    STUCK_AFTER,
    WITHDRAWN_BID,
    Hall,
    NotOpen,
    hall,
    lots_failed_at_opening,
    opening_recorded,
    room_name,
)
from bidding.opening.custody import reveal_share
from bidding.opening.decryption import check_package, read_package
from bidding.opening.keys import (
    own_header,
    parse_file_key,
    recover_stuck,
    reveal_key,
)
from bidding.opening.record import (
    BidAtOpening,
    OpenedBid,
    answer,
    bids_at_opening,
    confirm,
    finish,
    object_to,
    objected_at_opening,
    opened_bids,
    settle,
    state_of_opening,
)
from bidding.opening.views import (
    BidOpened,
    Done,
    Finished,
    OpeningState,
    OutcomeCounts,
    OwnHeader,
    ShareRevealed,
    Started,
)
from bidding.opening.window import advance, autostart_due, open_due, open_tender, start
from core.errors import DomainError

__all__ = [
    "ACTIVE_PHASES",
    "AWAITING_HOST",
    "CLOSED",
    "CONFIRMING",
    "CONFIRM_MINUTES",
    "CREDIT_EVENT",
    "CUSTODY",
    "DECRYPTING",
    "DECRYPTING_BID",
    "FAILED",
    "OPENED",
    "OUTCOMES",
    "QUEUED",
    "RECORD_TYPE",
    "REJECTED",
    "REVOKED",
    "STUCK_AFTER",
    "WITHDRAWN_BID",
    "BidAtOpening",
    "BidOpened",
    "DomainError",
    "Done",
    "Finished",
    "Hall",
    "NotOpen",
    "OpenedBid",
    "OpeningState",
    "OutcomeCounts",
    "OwnHeader",
    "ShareRevealed",
    "Started",
    "advance",
    "answer",
    "autostart_due",
    "bids_at_opening",
    "check_package",
    "coefficient_from",
    "confirm",
    "contribute",
    "finish",
    "hall",
    "lots_failed_at_opening",
    "object_to",
    "objected_at_opening",
    "open_due",
    "open_tender",
    "opened_bids",
    "opening_recorded",
    "own_header",
    "parse_file_key",
    "read_package",
    "recover_stuck",
    "reveal_key",
    "reveal_share",
    "room_name",
    "settle",
    "start",
    "state_of_opening",
]
