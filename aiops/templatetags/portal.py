"""Template tags for the portal: panel slots and small formatting helpers."""
from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from aiops.panels import panels_for

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panels(context, slot, obj=None):
    """Render every panel registered for `slot`; a panel whose context hook returns None is hidden."""
    request = context.get("request")
    html = []
    for panel in panels_for(slot):
        extra = panel.context(request, obj) if panel.context else {}
        if extra is None:
            continue
        html.append(render_to_string(panel.template, {"object": obj, **context.flatten(), **extra}, request=None))
    return mark_safe("".join(html))


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.simple_tag
def portal_nav():
    from aiops.panels import nav_items

    return nav_items()
