"""Service-level refusals every front door maps the same way (API: 409, see `aiops.api.errors`).

An app's "this action does not apply now" error subclasses `ActionRefused`, so the API answers
409 with its code and message without a per-app converter.
"""


class ActionRefused(Exception):
    """The request is well-formed but the object's current state does not allow it."""

    code = "conflict"

    def __init__(self, message: str = "", code: str | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code
