"""A daily refresh of the whole flow; off until someone switches it on."""

import dagster as dg

from orchestration.jobs import flow_job

daily_refresh = dg.ScheduleDefinition(
    name="daily_refresh",
    job=flow_job,
    cron_schedule="0 3 * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Rebuild every corpus at 03:00 each day.",
)
