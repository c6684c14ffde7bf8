"""Jobs: the whole flow, seed to published, with every blocking check."""

import dagster as dg

FLOW_JOB_NAME = "synthfoundry_flow"

flow_job = dg.define_asset_job(
    FLOW_JOB_NAME,
    selection=dg.AssetSelection.groups("corpora"),
    description="Seed → synthesized → filtered → decontaminated → published, each version gated by its checks.",
)
