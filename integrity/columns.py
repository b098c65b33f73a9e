"""Column helpers the indicators share: distinct rows and runs of equal keys, without Python loops.

``np.unique(..., axis=0)`` sorts rows as opaque bytes and is several times slower than one
``np.lexsort`` over the columns, which is what these do.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]


def distinct_rows(*columns: npt.NDArray[np.int64]) -> Ints:
    """The distinct rows of the given columns, sorted by the first column, then the second, and so on
    (one row per line of the answer, one column per argument)."""
    if not columns[0].size:
        return np.empty((0, len(columns)), dtype=np.int64)
    order = np.lexsort(columns[::-1])
    rows = np.stack([np.asarray(c, dtype=np.int64)[order] for c in columns], axis=1)
    keep = np.r_[True, np.any(rows[1:] != rows[:-1], axis=1)]
    return rows[keep]


def runs(keys: Ints) -> tuple[Ints, Ints]:
    """(start, length) of each run of equal rows in ``keys`` (rows already sorted)."""
    if not len(keys):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    change = np.any(keys[1:] != keys[:-1], axis=1) if keys.ndim == 2 else keys[1:] != keys[:-1]
    starts = np.flatnonzero(np.r_[True, change])
    return starts, np.diff(np.r_[starts, len(keys)])
