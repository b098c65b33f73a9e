"""Paged listings: one ``Page`` shape, one query helper, and one pair of query parameters.

A route takes ``paging: Paging`` (provided by web/app.py from ``?limit=&offset=``, limit 1..100,
default 20; a handler may provide another default with
``dependencies={"paging": paging_from(50)}``) and hands
``paging.limit`` and ``paging.offset`` to its service, which returns ``await paginate(...)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput

T = TypeVar("T")
MAX_PAGE = 100
DEFAULT_PAGE = 20
# Far past any listing's end, and within the 64-bit integers the databases take (a larger offset was a 500).
MAX_OFFSET = 2**31 - 1

# The bounds are stated in the OpenAPI schema and checked by ``paging_of``, so every listing answers
# a bad page with the same 422 ``bad_paging``.
Limit = Annotated[
    int,
    QueryParameter(
        description=f"rows per page (1..{MAX_PAGE})", schema_extra={"minimum": 1, "maximum": MAX_PAGE}
    ),
]
Offset = Annotated[
    int,
    QueryParameter(
        description=f"rows to skip (0..{MAX_OFFSET})", schema_extra={"minimum": 0, "maximum": MAX_OFFSET}
    ),
]


@dataclass(frozen=True)
class PageRequest:
    limit: int
    offset: int


# How handlers ask for the page they are to list (provided by web/app.py as ``paging``).
Paging = NamedDependency[PageRequest]


def paging_of(limit: int, offset: int) -> PageRequest:
    if not 1 <= limit <= MAX_PAGE or not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(f"limit must be 1..{MAX_PAGE} and offset 0..{MAX_OFFSET}", code="bad_paging")
    return PageRequest(limit, offset)


def paging_from(default_limit: int) -> Provide:
    """The ``paging`` dependency with its own default page size."""

    def provide_paging(limit: Limit = default_limit, offset: Offset = 0) -> PageRequest:
        return paging_of(limit, offset)

    return Provide(provide_paging, sync_to_thread=False)


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    limit: int
    offset: int


class Listing(msgspec.Struct, Generic[T], kw_only=True):
    """What every paged listing answers (``-> Listing[TenderOut]``): one page of ``items``, how many match
    in all, and the page asked for, so a client can tell the last page without another request."""

    items: list[T]
    total: int
    limit: int
    offset: int


def listing(page: Page[Any], items: Sequence[T]) -> Listing[T]:
    """``page``'s counts around ``items`` (``page.rows`` converted to the answer's type)."""
    return Listing(items=list(items), total=page.total, limit=page.limit, offset=page.offset)


async def paginate(
    session: AsyncSession,
    query: Select[*tuple[Any, ...]],
    *,
    order_by: Sequence[Any],
    limit: int,
    offset: int,
) -> Page[Any]:
    """One page of ``query`` in ``order_by`` order, and how many rows match in all.

    One scan does both: ``count(*) OVER ()`` is computed over every match before LIMIT applies. A
    query of one column or entity gives its values as rows, a query of several gives tuples.
    """
    if limit < 1 or offset < 0:
        raise InvalidInput("limit must be >= 1 and offset >= 0", code="bad_paging")
    single = len(query.column_descriptions) == 1
    found = (
        await session.execute(
            query.add_columns(func.count().over().label("total"))
            .order_by(*order_by)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    if found:
        total = int(found[0][-1])
    elif offset:  # past the last page: the window saw no rows, so count separately
        total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    else:
        total = 0
    rows = [row[0] if single else tuple(row[:-1]) for row in found]
    return Page(rows, total, limit, offset)
