"""Every expected failure is a `UserError` that names a README section that exists."""

from __future__ import annotations

import re
from pathlib import Path

import assets.decontamination.benchmarks
import assets.execution.sandbox
import assets.export.hub
import assets.models.backends.openai_batch_api
import assets.models.backends.openai_http
import assets.models.budget
import assets.recipe.loader
import assets.registry
import assets.seed_readers.result
import quality.report
import warehouse.connection
import warehouse.user_sql
from orchestration.cli import main
from warehouse.errors import readme_hint, user_errors

README = Path(__file__).parents[3] / "README.md"
EXPECTED = {
    assets.recipe.loader.RecipeError,
    assets.registry.RegistryError,
    assets.seed_readers.result.SeedSourceError,
    assets.decontamination.benchmarks.BenchmarkError,
    assets.models.backends.openai_http.BackendError,
    assets.models.backends.openai_batch_api.BatchAPIError,
    assets.models.budget.BudgetExhausted,
    assets.export.hub.PublishError,
    quality.report.ReportError,
    warehouse.user_sql.QueryError,
    warehouse.connection.WarehouseLockTimeout,
    assets.execution.sandbox.SandboxUnavailable,
}


def test_every_expected_failure_is_a_user_error_with_a_readme_section():
    headings = {m.group(1).strip() for m in re.finditer(r"^#+ (.+)$", README.read_text(), re.M)}
    classes = set(user_errors().values())
    assert classes >= EXPECTED
    for cls in classes:
        assert cls.readme_section in headings, (cls.__name__, cls.readme_section)
    # The built-in bases are kept: code that catches ValueError or LookupError still does.
    assert issubclass(assets.recipe.loader.RecipeError, ValueError)
    assert issubclass(assets.registry.RegistryError, LookupError)


def test_hint_by_instance_or_class_name():
    assert readme_hint(assets.recipe.loader.RecipeError("x")) == "see README: Recipes"
    assert readme_hint("SeedSourceError") == "see README: Seed files"
    assert readme_hint(ValueError("x")) is None and readme_hint("KeyError") is None


def test_the_cli_prints_one_line_with_the_section(tmp_path, capsys):
    code = main(["--home", str(tmp_path), "run", "--recipe", str(tmp_path / "none.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "none.yaml" in err and "; see README: Recipes (full log: " in err
