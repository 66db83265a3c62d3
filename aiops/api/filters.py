"""The API's filter backend: related-object filters accept only ids the user could pick.

django-filter's `ModelChoiceFilter` validates an id against every row of the related table, so
`?team=<another organisation's team>` answered 200 (empty) while a made-up id answered 400 —
telling the caller which ids exist. Narrowed the same way as serializer fields, both are a 400.
"""
from django_filters.filters import QuerySetRequestMixin
from django_filters.rest_framework import DjangoFilterBackend

from aiops.api.fields import request_organization
from aiops.querysets import scope_choices


class OrgScopedFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        organization = request_organization(request)
        for name, flt in filterset.filters.items():
            # Only filters the request uses: narrowing costs queries (shared-object lookups).
            if isinstance(flt, QuerySetRequestMixin) and name in request.query_params:
                choices = flt.get_queryset(request)
                if choices is not None:
                    scoped = scope_choices(choices, request.user, organization)
                    flt.queryset = scoped
                    flt.extra.pop("queryset", None)
                    flt.__dict__.pop("_field", None)  # rebuilt from the narrowed queryset
        return filterset
