"""Schedules: the nightly CRM sync."""
