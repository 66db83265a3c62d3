"""A report as Markdown (also the e-mail body) and CSV."""
from __future__ import annotations

import csv
import io

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

SECTIONS = (("critical", "🔴", "CRITICAL ATTENTION NEEDED"), ("warning", "🟡", "WARNING - ACTION RECOMMENDED"))


def report_title(report) -> str:
    kind = {"weekly": _("WEEKLY CAPACITY REPORT - Week of %(d)s"), "monthly": _("MONTHLY CAPACITY REPORT - %(d)s"),
            }.get(report.report_type, _("CAPACITY REPORT - %(d)s"))
    fmt = "%B %Y" if report.report_type == "monthly" else "%b %-d, %Y"
    return kind % {"d": report.period_start.strftime(fmt)}


def report_url(report) -> str:
    return settings.AIOPS_BASE_URL + reverse("capacity:report", kwargs={"pk": report.pk})


def eta_text(entry) -> str:
    if entry["eta_days"] is None:
        return _("not predicted")
    if entry["eta_days"] == 0:
        return _("already at %(level)s %%") % {"level": f"{entry['level']:g}"}
    return _("Predicted to hit %(level)s %% in: %(days)s days") % {"level": f"{entry['level']:g}",
                                                                 "days": f"{entry['eta_days']:g}"}


def report_markdown(report) -> str:
    data = report.report_data
    s = data.get("summary", {})
    lines = [f"# {report_title(report)}", "", "## " + _("SUMMARY"),
             "- " + _("%(n)d resources require attention") % {"n": s.get("attention", 0)},
             "- " + _("%(n)d predicted to breach threshold within 7 days") % {"n": s.get("critical", 0)},
             "- " + _("%(n)d predicted to breach within 30 days") % {"n": s.get("warning", 0)}, ""]
    for key, icon, heading in SECTIONS:
        if not data.get(key):
            continue
        lines += ["## " + _(heading), ""]
        for e in data[key]:
            lines += [f"### {icon} {e['resource']}: {e['kind_label']}",
                      "- " + _("Current: %(c)s%%  |  Growth: %(g)s%%/day") % {"c": e["current_percent"],
                                                                          "g": e["growth_per_day"]},
                      "- " + eta_text(e), "- " + _("Recommendation: %(r)s") % {"r": e["recommendation"]}, ""]
    lines += ["## " + _("HEALTHY RESOURCES (%(n)d)") % {"n": s.get("healthy", 0)},
              _("All other monitored resources are within normal ranges with no concerning growth patterns."), ""]
    lines += rightsizing_markdown(data.get("rightsizing") or {})
    changed = data.get("changes") or {}
    if changed:
        lines += ["## " + _("CHANGES SINCE THE LAST REPORT"),
                  "- " + _("%(n)d new resources, %(g)d gone, %(m)d changed section") % {
                      "n": len(changed.get("new", [])), "g": len(changed.get("gone", [])),
                      "m": len(changed.get("moved", []))}, ""]
    return "\n".join(lines)


def cores(value) -> str:
    return "–" if value is None else f"{value * 1000:.0f}m"


def mebibytes(value) -> str:
    return "–" if value is None else f"{value / 2**20:.0f}Mi"


VERDICTS = {"risk": "⚠ " + "under-requested", "savings": "savings", "ok": "ok"}


def rightsizing_markdown(sized: dict) -> list[str]:
    if not sized.get("rows"):
        return []
    saved = sized["savings"]
    lines = ["## " + _("KUBERNETES RIGHT-SIZING (last %(d)d days)") % {"d": sized["window_days"]},
             "- " + _("Could be released: %(cpu)s CPU and %(mem)s memory over all pods; %(n)d containers "
                      "use more than they request") % {"cpu": cores(saved["cpu_cores"]),
                                                        "mem": mebibytes(saved["memory_bytes"]), "n": sized["at_risk"]},
             "", "| " + " | ".join([_("Workload"), _("Container"), _("Pods"), _("CPU request → p95 → recommended"),
                                   _("Memory request → max → recommended"), _("Verdict")]) + " |",
             "|---|---|---|---|---|---|"]
    for r in sized["rows"]:
        lines.append(f"| {r['namespace']}/{r['workload']} | {r['container']} | {r['pods']} | "
                     f"{cores(r['cpu_request'])} → {cores(r['cpu_p95'])} → {cores(r['cpu_recommended'])} | "
                     f"{mebibytes(r['memory_request'])} → {mebibytes(r['memory_max'])} → "
                     f"{mebibytes(r['memory_recommended'])} | {_(VERDICTS[r['verdict']])} |")
    return [*lines, ""]


def report_csv(report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "resource", "kind", "current_percent", "growth_per_day", "level", "eta_days",
                     "recommendation"])
    for key in ("critical", "warning", "healthy"):
        for e in report.report_data.get(key, []):
            writer.writerow([key, e["resource"], e["kind"], e["current_percent"], e["growth_per_day"], e["level"],
                             "" if e["eta_days"] is None else e["eta_days"], e["recommendation"]])
    for r in (report.report_data.get("rightsizing") or {}).get("rows", []):
        writer.writerow(["rightsizing", f"{r['namespace']}/{r['workload']}/{r['container']}", "kubernetes", "", "",
                         "", "", f"cpu {cores(r['cpu_request'])} -> {cores(r['cpu_recommended'])}, memory "
                         f"{mebibytes(r['memory_request'])} -> {mebibytes(r['memory_recommended'])} ({r['verdict']})"])
    return out.getvalue()
