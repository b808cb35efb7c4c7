"""The pipeline's steps, each one read -> compute (hub/) -> write, on a ``Warehouse``.

Dagster assets call one step each; a notebook, a test or a benchmark can call them the same way.
Every step returns a ``StepResult``: rows written, figures for the run page, and a preview.
"""

from hub.pipeline.steps import StepResult

__all__ = ["StepResult"]
