"""Server-side SVG of the dependency graph: layered columns, failing services highlighted.

Drawn on the server so the page prints, needs no JavaScript and can be asserted on in tests.
Styles are inline attributes, so the same drawing works in the portal, the admin and a PDF.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .graph import TopologyGraph

BOX_W, BOX_H = 168, 40
COL_GAP, ROW_GAP = 72, 18
PAD = 16
COLOURS = {
    "ok": ("#ffffff", "#8a94a6", "#1d2330"),
    "failing": ("#fdecea", "#c62828", "#8e1b1b"),
    "root": ("#c62828", "#7f0000", "#ffffff"),
}


def _order_rows(graph: TopologyGraph, layers: dict[int, int]) -> dict[int, list[int]]:
    """Nodes per column, ordered by the mean row of their dependents (fewer crossing edges)."""
    columns: dict[int, list[int]] = defaultdict(list)
    for node, col in layers.items():
        columns[col].append(node)
    position: dict[int, float] = {}
    for col in sorted(columns):

        def key(n):
            parents = [position[p] for p in graph.dependents[n] if p in position]
            return (sum(parents) / len(parents) if parents else float("inf"), graph.nodes[n].name)

        columns[col].sort(key=key)
        for row, node in enumerate(columns[col]):
            position[node] = row
    return columns


def render(
    graph: TopologyGraph,
    *,
    subset: set[int] | None = None,
    failing: dict[int, dict] | set[int] = (),
    root: int | None = None,
    link=None,
    title: str | None = None,
) -> SafeString:
    """The graph (or the `subset` of nodes) as an inline `<svg>` element."""
    layers = graph.layers(subset)
    if not layers:
        return mark_safe(f'<p class="muted">{escape(_("No services in the topology yet."))}</p>')
    columns = _order_rows(graph, layers)
    tallest = max(len(nodes) for nodes in columns.values())
    width = PAD * 2 + len(columns) * BOX_W + (len(columns) - 1) * COL_GAP
    height = PAD * 2 + tallest * BOX_H + (tallest - 1) * ROW_GAP
    xy: dict[int, tuple[int, int]] = {}
    for col, nodes in columns.items():
        offset = (tallest - len(nodes)) * (BOX_H + ROW_GAP) / 2
        for row, node in enumerate(nodes):
            xy[node] = (PAD + col * (BOX_W + COL_GAP), int(PAD + offset + row * (BOX_H + ROW_GAP)))
    label = title or _("Service dependency graph")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="topology-graph" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
        '<defs><marker id="topo-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8a94a6"/></marker></defs>',
    ]
    for source, target, kind, criticality, _eid in graph.edges:
        if source not in xy or target not in xy:
            continue
        (sx, sy), (tx, ty) = xy[source], xy[target]
        x1, y1 = sx + BOX_W, sy + BOX_H / 2
        x2, y2 = tx, ty + BOX_H / 2
        if tx <= sx:  # a back edge (cycle or same column): route it as a loop below
            x1, x2 = sx + BOX_W / 2, tx + BOX_W / 2
            y1, y2 = sy + BOX_H, ty + BOX_H
            mid = max(y1, y2) + ROW_GAP
            d = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{mid:.0f} {x2:.0f},{mid:.0f} {x2:.0f},{y2:.0f}"
        else:
            bend = (x2 - x1) / 2
            d = f"M{x1:.0f},{y1:.0f} C{x1 + bend:.0f},{y1:.0f} {x2 - bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
        hot = source in failing and target in failing
        dash = ' stroke-dasharray="5,4"' if kind == "async" or criticality == "optional" else ""
        stroke = "#c62828" if hot else "#8a94a6"
        out.append(
            f'<path class="edge{" failing" if hot else ""}" d="{d}" fill="none" stroke="{stroke}" '
            f'stroke-width="{2 if hot else 1.3}"{dash} marker-end="url(#topo-arrow)" '
            f'data-source="{source}" data-target="{target}"><title>{escape(graph.nodes[source].name)} → '
            f"{escape(graph.nodes[target].name)} ({escape(kind)}, {escape(criticality)})</title></path>"
        )
    for node_id, (x, y) in xy.items():
        node = graph.nodes[node_id]
        state = "root" if node_id == root else ("failing" if node_id in failing else "ok")
        fill, stroke, text = COLOURS[state]
        name = node.name if len(node.name) <= 22 else node.name[:21] + "…"
        info = failing.get(node_id) if isinstance(failing, dict) else None
        sub = node.environment or node.type
        if state == "root":
            sub = _("root cause")
        elif info and info.get("firing"):
            sub = _("%(n)d firing") % {"n": info["firing"]}
        tip = f"{node.name} ({node.environment or _('any environment')}, {node.type}, {node.tier})"
        group = (
            f'<g class="node {state}" data-service="{escape(node.name)}" data-id="{node_id}">'
            f"<title>{escape(tip)}</title>"
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{2.5 if state != "ok" else 1.2}"/>'
            f'<text x="{x + BOX_W / 2:.0f}" y="{y + 17}" text-anchor="middle" font-size="13" '
            'font-weight="600" '
            f'fill="{text}" font-family="system-ui, sans-serif">{escape(name)}</text>'
            f'<text x="{x + BOX_W / 2:.0f}" y="{y + 32}" text-anchor="middle" font-size="10.5" fill="{text}" '
            f'font-family="system-ui, sans-serif">{escape(sub)}</text></g>'
        )
        if link:
            url = link(node)
            if url:
                group = f'<a href="{escape(url)}">{group}</a>'
        out.append(group)
    out.append("</svg>")
    return mark_safe("".join(out))
