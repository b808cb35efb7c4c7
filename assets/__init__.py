"""Dagster assets, one module per source or layer. Thin: they call hub/ through resources."""
