"""The API's JSON parser: the webhook front door's strict rules (depth, NaN, 64-bit ints, NUL).

DRF's own parser lets deep nesting reach a RecursionError (500) and passes NaN, 5,000-digit
integers and "\\u0000" on to the database; this one refuses them with a 400 naming the path.
"""
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from aiops import webhooks


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            return webhooks.parse_json(raw)
        except webhooks.InvalidJSON as exc:
            raise ParseError(exc.fields) from None
