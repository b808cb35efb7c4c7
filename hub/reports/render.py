"""A report as Markdown and as one self-contained-looking HTML page next to its PNG charts."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from markdown_it import MarkdownIt

from hub.kpi_catalogue import Period


@dataclass(frozen=True)
class Chart:
    title: str
    path: Path  # the PNG, in the report's folder


@dataclass
class Section:
    heading: str
    markdown: str = ""
    charts: list[Chart] = field(default_factory=list)


@dataclass
class Report:
    name: str
    title: str
    period: Period
    summary: str  # the seed template's headline figures, one line each
    sections: list[Section] = field(default_factory=list)

    @property
    def charts(self) -> list[Chart]:
        return [c for s in self.sections for c in s.charts]


def period_words(period: Period) -> str:
    if period.grain == "week":
        last = period.end - pd.Timedelta(days=1)
        return f"Week of {period.start:%d %b %Y} ({period.label}: {period.start:%a %d %b} – {last:%a %d %b %Y}, UTC)"
    return f"Month: {period.start:%B %Y} ({period.label})"


def to_markdown(report: Report, rendered_at: str) -> str:
    parts = [f"# {report.title}", "", f"**{period_words(report.period)}** · rendered {rendered_at}", "",
             report.summary.strip(), ""]
    for section in report.sections:
        parts += [f"## {section.heading}", ""]
        if section.markdown.strip():
            parts += [section.markdown.strip(), ""]
        parts += [f"![{c.title}]({c.path.name})" for c in section.charts]
        if section.charts:
            parts.append("")
    return "\n".join(parts).rstrip() + "\n"


STYLE = """body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:860px;margin:2em auto;
color:#1f2328;padding:0 1em}table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #d0d7de;
padding:4px 8px;font-size:14px}th{background:#f6f8fa}img{max-width:100%;display:block;margin:.5em 0 1.2em}
h1{font-size:1.6em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}"""


def to_html(report: Report, markdown: str) -> str:
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(report.title)} — {html.escape(report.period.label)}</title>"
            f"<style>{STYLE}</style></head><body>\n{body}</body></html>\n")


def md_list(items: list[str], empty: str = "none") -> str:
    return "\n".join(f"- {i}" for i in items) if items else f"- {empty}"


def md_table(frame, columns: dict[str, str], empty: str = "none") -> str:  # noqa: ANN001 - a DataFrame
    """The frame's ``columns`` (name -> heading) as a Markdown table; ``empty`` when it has no rows."""
    if frame is None or not len(frame):
        return f"_{empty}_"
    lines = ["| " + " | ".join(columns.values()) + " |", "|" + "---|" * len(columns)]
    for _, row in frame.iterrows():
        cells = []
        for c in columns:
            v = row[c]
            if isinstance(v, float):
                v = "" if v != v else f"{v:,.2f}".rstrip("0").rstrip(".")
            cells.append(str(v if v is not None else "").replace("|", "/").replace("\n", " ")[:90])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
