"""Batch inference: a method's missing calls sent through a provider's batch API and entered
into the call log as online calls are."""

# A Dagster run tagged so (`synthfoundry run --wait`) polls its provider batches until they
# finish; otherwise the synthesized step ends with its version pending (`pending_batches`).
WAIT_FOR_BATCHES_TAG = "synthfoundry/wait_for_batches"
