"""Pagination that stays fast at a million rows: the count is capped, never a full COUNT(*).

Used by the portal list (Django's Paginator interface) and the API (a DRF pagination class).
"""

from __future__ import annotations

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils.functional import cached_property

from aiops.api.pagination import PageNumberPagination
from aiops.conf import setting


def list_count_cap() -> int:
    return setting("ALERTS_LIST_COUNT_CAP", 10_000)


class CappedPage(Page):
    def __init__(self, object_list, number, paginator, *, has_more: bool):
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self):
        return self.has_more

    def next_page_number(self):
        return self.number + 1

    def end_index(self):
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


class CappedCountPaginator(Paginator):
    """A paginator that never counts more than `ALERTS_LIST_COUNT_CAP` rows.

    `SELECT COUNT(*)` over a million alerts is the slow part of a list page, so the count runs on
    a LIMITed subquery and reads "10,000+" past the cap; pages past the cap still work (one extra
    row is fetched to know whether a next page exists).
    """

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        super().__init__(
            object_list, per_page, orphans=0, allow_empty_first_page=allow_empty_first_page, **kwargs
        )
        self.count_cap = list_count_cap()

    @cached_property
    def _counted(self) -> int:
        return self.object_list.values("pk")[: self.count_cap + 1].count()

    @property
    def count_capped(self) -> bool:
        return self._counted > self.count_cap

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.count_cap)

    def validate_number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from exc
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if not self.count_capped and number > self.num_pages:
            raise EmptyPage(self.error_messages["no_results"])
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return CappedPage(rows[: self.per_page], number, self, has_more=len(rows) > self.per_page)


class CappedCountPagination(PageNumberPagination):
    """Page numbers without a full COUNT(*): `count` stops at the cap and `count_capped` says so."""

    django_paginator_class = CappedCountPaginator
    last_page_strings = ()

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.page.paginator.count_capped
        return response

    def get_paginated_response_schema(self, schema):
        body = super().get_paginated_response_schema(schema)
        body["properties"]["count_capped"] = {
            "type": "boolean",
            "description": "true when `count` is a lower bound",
        }
        return body
