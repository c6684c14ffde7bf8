"""The generator identity of a model-calling method: model, digest, templates and parameters."""

from __future__ import annotations

import hashlib

from assets.models.backends import Backend
from assets.models.json_schema import JsonSchema
from assets.models.prompt_templates import PromptTemplate
from warehouse.lineage import GeneratorRecord


def model_generator(
    backend: Backend,
    templates: list[PromptTemplate],
    params: dict,
    schema: JsonSchema | None = None,
) -> GeneratorRecord:
    """One generator for a backend and the templates it is prompted with: editing any of the
    templates (their sha256 is part of the identity) makes a new generator, and so does
    another server URL or context size (the backend's lineage params), or another output
    `schema` (its name and sha256, under `json_schema`; absent for calls without one, so
    their generator ids do not change)."""
    text = "\n---\n".join(t.text for t in templates)
    return GeneratorRecord(
        backend=backend.backend,
        model=backend.model,
        model_digest=backend.model_digest,
        template_name="+".join(t.name for t in templates),
        template_version="+".join(t.version for t in templates),
        template_sha256=hashlib.sha256(text.encode()).hexdigest(),
        template_text=text,
        params={
            **backend.lineage_params(),
            **params,
            **({"json_schema": schema.identity()} if schema is not None else {}),
        },
    )
