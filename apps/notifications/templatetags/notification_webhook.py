"""Filters available to webhook body templates (rendered with autoescaping off)."""

import json

from django import template

register = template.Library()


@register.filter(name="json")
def to_json(value):
    """`{{ message|json }}`: the value as JSON (strings quoted and escaped)."""
    return json.dumps(value, ensure_ascii=False, default=str)
