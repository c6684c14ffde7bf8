"""Dagster definitions, jobs, schedules, sensors and the `synthfoundry` command line."""
