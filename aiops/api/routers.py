"""The router every app uses: routes answer with and without a trailing slash.

DRF's SimpleRouter takes `trailing_slash` only as True/False in its constructor (3.18 turns any
other value into "/"), and a POST to a slash-less URL would get a 301 that clients drop the body
on. Setting the attribute after init keeps both spellings.
"""
from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trailing_slash = "/?"
