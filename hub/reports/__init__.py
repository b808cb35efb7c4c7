"""The seeds' report templates, rendered for a week or a month: Markdown and HTML with PNG charts.

Pure: each report is a function of :class:`hub.reports.inputs.ReportInputs` (read once by
:func:`hub.reports.inputs.read_inputs`) and a :class:`hub.kpi_catalogue.Period`; ``hub.reports.store``
writes the files under ``HUB_HOME/reports/<name>/<period>/`` and the row of ``analytics.reports``.
"""
