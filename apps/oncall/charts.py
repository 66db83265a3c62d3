"""The schedule's timeline as server-side SVG: one lane per layer, one for overrides, one final."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from . import rotation, selectors
from .models import Schedule

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#e15759"]
WIDTH, LABEL, LANE, GAP = 1000, 140, 26, 6


@dataclass
class Bar:
    x: float
    w: float
    color: str
    label: str
    title: str


@dataclass
class Lane:
    name: str
    y: float
    bars: list[Bar]


def _color(user_id, colors: dict) -> str:
    if user_id is None:
        return "#e15759"
    return colors.setdefault(user_id, PALETTE[len(colors) % (len(PALETTE) - 1)])


def timeline_chart(schedule: Schedule, start: datetime, days: int = 14) -> dict:
    """Lanes and bars (x/width in pixels) of [start, start + days) plus day ticks in local time."""
    end = start + timedelta(days=days)
    tz: ZoneInfo = selectors.zone(schedule)
    data = selectors.schedule_data(schedule, start, end)
    span = (end - start).total_seconds()
    plot = WIDTH - LABEL

    def x(at: datetime) -> float:
        return LABEL + max(0.0, min(1.0, (at - start).total_seconds() / span)) * plot

    lanes_src = [(spec.key, rotation.layer_shifts(spec, start, end)) for spec in data.specs]
    overrides = [s for s in data.overrides if s.end > start and s.start < end]
    # The lanes' shifts are the final timeline's candidates: the rotation maths runs once per layer.
    finals = rotation.final([s for _, ss in lanes_src for s in ss] + overrides, start, end, gaps=True)
    users = selectors.users_by_id({s.user_id for _, ss in lanes_src for s in ss}
                                  | {s.user_id for s in data.overrides} | {s.user_id for s in finals})
    names = {pk: selectors.display_name(u) for pk, u in users.items()}
    layer_names = dict(schedule.layers.values_list("pk", "name"))
    colors: dict = {}
    lanes, y = [], 20
    fmt = "%a %d %b %H:%M"

    def bars(shifts):
        out = []
        for s in shifts:
            lo, hi = max(s.start, start), min(s.end, end)
            who = names.get(s.user_id, _("nobody"))
            title = f"{who}: {lo.astimezone(tz):{fmt}} – {hi.astimezone(tz):{fmt}}"
            out.append(Bar(x(lo), max(1.0, x(hi) - x(lo)), _color(s.user_id, colors), who, title))
        return out

    for key, shifts in lanes_src:
        layer_id = int(key.split(":")[1])
        lanes.append(Lane(layer_names.get(layer_id, key), y, bars(shifts)))
        y += LANE + GAP
    lanes.append(Lane(_("Overrides"), y, bars(overrides)))
    y += LANE + GAP
    lanes.append(Lane(_("Final"), y, bars(finals)))
    y += LANE + GAP
    ticks = []
    day = start.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    while day.astimezone(rotation.UTC) < end:
        moment = rotation.localize(day.replace(tzinfo=None), tz)
        if moment >= start:
            ticks.append({"x": x(moment), "label": day.strftime("%a %d")})
        day = (day.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=tz)
    legend = [{"name": names.get(pk, "?"), "color": c} for pk, c in colors.items() if pk is not None]
    return {"lanes": lanes, "ticks": ticks, "height": y + 10, "width": WIDTH, "label_width": LABEL,
            "lane_height": LANE, "legend": legend, "gaps": rotation.gaps_of(finals), "tz": tz.key}
