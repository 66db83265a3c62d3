"""A compliance report as the brief's text block, Markdown and CSV."""
from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from django.utils.translation import gettext as _

from aiops.links import absolute_reverse

from .choices import Target


def download(report, fmt: str) -> HttpResponse:
    """The report as a file: `csv` or `md` (Markdown)."""
    body, kind = (report_csv(report), "text/csv") if fmt == "csv" else (report_markdown(report), "text/markdown")
    response = HttpResponse(body, content_type=f"{kind}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sla-report-{report.period_start:%Y-%m-%d}.{fmt}"'
    return response


def report_url(report) -> str:
    return absolute_reverse("sla:report", kwargs={"pk": report.pk})


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _mark(row) -> str:
    return "✓" if row.overall_compliant else ("—" if row.overall_compliant is None else "⚠")


def _type_label(value: str) -> str:
    return {Target.MTTA: "MTTA", Target.MTTR: "MTTR"}.get(value, value.upper())


def report_text(report) -> str:
    """The brief's layout: overall, by SLA, breaches by type, top reasons."""
    rows = list(report.slas.select_related("sla"))
    title = _("SLA COMPLIANCE REPORT - %(period)s") % {"period": f"{report.period_start:%B %Y}"}
    lines = [title, "━" * len(title), "", _("Overall Compliance: %(pct)s") % {"pct": _pct(report.overall_compliance)},
             "", _("BY SLA:")]
    width = max([len(r.sla.name) for r in rows] + [20])
    lines += [f"  {r.sla.name:<{width}}  {_pct(r.compliance_percent):>7} {_mark(r)}" for r in rows]
    lines += ["", _("BREACHES THIS PERIOD: %(n)s") % {"n": report.breach_count}]
    lines += [f"• {b['count']} {_type_label(b['type'])} " + _("breaches") + f" ({b['sla']})"
              for b in report.breaches_by_type]
    if report.top_reasons:
        lines += ["", _("TOP BREACH REASONS:")]
        lines += [f"{i}. {r['label']} ({r['count']})" for i, r in enumerate(report.top_reasons, 1)]
    return "\n".join(lines)


def report_markdown(report) -> str:
    rows = list(report.slas.select_related("sla"))
    out = [f"# {_('SLA compliance report')} {report.period_start:%Y-%m-%d} – {report.period_end:%Y-%m-%d}", "",
           f"**{_('Overall compliance')}:** {_pct(report.overall_compliance)} "
           f"({report.total_items} {_('items')}, {report.breached_items} {_('breached')})", "",
           f"| {_('SLA')} | {_('Compliance')} | MTTA {_('mean')}/p50/p90 | MTTR {_('mean')}/p50/p90 | "
           f"{_('Availability')} | {_('Success rate')} | {_('Compliant')} |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r.sla.name} | {_pct(r.compliance_percent)} | {_trio(r, 'mtta')} | {_trio(r, 'mttr')} | "
                   f"{_pct(r.actual_availability)} | {_pct(r.actual_success_rate)} | {_mark(r)} |")
    out += ["", f"## {_('Breaches')} ({report.breach_count})", ""]
    out += [f"- {b['count']} {_type_label(b['type'])} ({b['sla']})" for b in report.breaches_by_type] or ["- —"]
    out += ["", f"## {_('Top breach reasons')}", ""]
    out += [f"{i}. {r['label']} ({r['count']})" for i, r in enumerate(report.top_reasons, 1)] or ["—"]
    return "\n".join(out) + "\n"


def _m(value) -> str:
    return "—" if value is None else f"{value:g}"


def _trio(row, target: str) -> str:
    return " / ".join(_m(getattr(row, name)) for name in (
        f"actual_{target}_minutes", f"{target}_p50_minutes", f"{target}_p90_minutes"))


CSV_COLUMNS = ["sla", "period_start", "period_end", "items", "items_breached", "compliance_percent",
               "mtta_mean_min", "mtta_p50_min", "mtta_p90_min", "mttr_mean_min", "mttr_p50_min", "mttr_p90_min",
               "availability_percent", "success_rate_percent", "mtta_compliant", "mttr_compliant",
               "availability_compliant", "success_rate_compliant", "compliant"]


def report_csv(report) -> str:
    """One row per SLA, then one "overall" row; numbers unformatted, so spreadsheets can sum them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)

    def cell(value):
        return "" if value is None else value

    for r in report.slas.select_related("sla"):
        writer.writerow([_safe(r.sla.name), r.period_start.isoformat(), r.period_end.isoformat(), r.total_incidents,
                         r.breached_incidents, cell(r.compliance_percent), cell(r.actual_mtta_minutes),
                         cell(r.mtta_p50_minutes), cell(r.mtta_p90_minutes), cell(r.actual_mttr_minutes),
                         cell(r.mttr_p50_minutes), cell(r.mttr_p90_minutes), cell(r.actual_availability),
                         cell(r.actual_success_rate), cell(r.mtta_compliant), cell(r.mttr_compliant),
                         cell(r.availability_compliant), cell(r.success_rate_compliant), cell(r.overall_compliant)])
    writer.writerow(["overall", report.period_start.isoformat(), report.period_end.isoformat(), report.total_items,
                     report.breached_items, cell(report.overall_compliance)] + [""] * (len(CSV_COLUMNS) - 6))
    return buffer.getvalue()


def _safe(value: str) -> str:
    # A cell starting with = + - @ is a formula to spreadsheet programs (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
