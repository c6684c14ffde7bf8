"""The models one step of a run calls, built, recorded and counted in one place.

A synthesis method, a filter or a detector asks its session for a model (a generator config,
the prompt templates and the parameters that shape its outputs) or for a rubric judge; the
session builds the backend, records the generator (`generators`, for the `generators` table)
and hands back a `CachedModel`, whose calls are cached, concurrent and logged. The session sums
the calls of every model it handed out.

A model built with a `schema` (`JsonSchema`) has every call's output held to it: a grammar
on the local backend, `response_format` (validated, retried) over HTTP.
"""

from __future__ import annotations

from assets.models.backends import Backend, build_backend
from assets.models.call_cache import CachedModel
from assets.models.call_progress import CallProgress
from assets.models.context import ModelContext
from assets.models.generator_identity import model_generator
from assets.models.generators import GeneratorConfig, Sampling
from assets.models.json_schema import JsonSchema
from assets.models.pricing import Price
from assets.models.prompt_templates import PromptTemplate, load_template
from assets.models.rubric_judge import RubricJudge, score_schema
from warehouse.lineage import GeneratorRecord

# The prompt templates of one generator and the parameters that shape its outputs.
Variant = tuple[list[PromptTemplate], dict]


class ModelSession:
    """The models and judges one step calls in one run, and the generators they are."""

    def __init__(self, ctx: ModelContext, label: str = "model calls"):
        self.ctx = ctx
        # One progress line for all the step's models: `label` names the step in it.
        self.progress = CallProgress(label, ctx.log)
        self.generators: list[GeneratorRecord] = []
        self.models: list[CachedModel] = []
        # One backend per distinct generator config: a local model file loads once per session.
        self._backends: dict[str, Backend] = {}

    def model(
        self,
        generator: GeneratorConfig,
        templates: list[PromptTemplate],
        params: dict,
        schema: JsonSchema | None = None,
    ) -> CachedModel:
        """The cached model of `generator` prompted with `templates`; with a `schema`, every
        output is JSON held to it (parse it with `schema.parse`)."""
        (model,) = self.variants(generator, [(templates, params)], schema)
        return model

    def variants(
        self,
        generator: GeneratorConfig,
        variants: list[Variant],
        schema: JsonSchema | None = None,
    ) -> list[CachedModel]:
        """Several generators on one backend (e.g. one per prompt style), all held to
        `schema` if one is given: a local model file loads once for all of them."""
        key = generator.model_dump_json()
        backend = self._backends.get(key)
        if backend is None:
            backend = self._backends[key] = build_backend(generator)
        return [
            self.backend_model(backend, templates, params, schema, generator.price)
            for templates, params in variants
        ]

    def backend_model(
        self,
        backend: Backend,
        templates: list[PromptTemplate],
        params: dict,
        schema: JsonSchema | None = None,
        price: Price | None = None,
    ) -> CachedModel:
        """The cached model of a backend built by the caller (e.g. a reward model, which no
        `GeneratorConfig` names), recorded as a generator like any other."""
        record = model_generator(backend, templates, params, schema)
        self.generators.append(record)
        model = CachedModel(
            backend,
            record.generator_id,
            self.ctx,
            schema=schema,
            progress=self.progress,
            price=price,
        )
        self.models.append(model)
        return model

    def judge(
        self, generator: GeneratorConfig, template: str, scale: int, sampling: Sampling
    ) -> RubricJudge:
        """A rubric judge: `generator` scoring items with `template` on 1..`scale`, its output
        held to `score_schema(scale)`."""
        rubric = load_template(template)
        model = self.model(
            generator, [rubric], RubricJudge.params(scale, sampling), score_schema(scale)
        )
        return RubricJudge(model, rubric, scale, sampling)

    @property
    def new_calls(self) -> int:
        return sum(model.new_calls for model in self.models)

    @property
    def cache_hits(self) -> int:
        return sum(model.cache_hits for model in self.models)
