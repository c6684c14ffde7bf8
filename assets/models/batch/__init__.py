"""Batch inference: a method's missing calls sent through a provider's batch API and entered
into the call log as online calls are."""
