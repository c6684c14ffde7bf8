"""Great-expectations Data Docs for every validated version: GE's own validation-result page
renderer, written as static HTML under `$SYNTHFOUNDRY_HOME/data_docs/<corpus>/v<N>/`.

An ephemeral GE context keeps no validation store to build a docs site from, so each result
is rendered directly (about 0.02 s of CPU per page once a process's first page has compiled
the templates, 0.1 s before; no network: the page's stylesheets load from a CDN when one is
reachable and the content reads without them)."""

from __future__ import annotations

import html
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any


def docs_folder(home: Path, corpus: str, version: int) -> Path:
    return home / "data_docs" / corpus / f"v{version}"


@cache
def _page_view() -> Any:
    """One view per process: its Jinja environment caches the compiled templates, which a
    new view compiles again (0.08 s of a page's 0.1 s)."""
    from great_expectations.render.view import DefaultJinjaPageView

    return DefaultJinjaPageView()


def render_page(result: Any) -> str:
    from great_expectations.render.renderer import ValidationResultsPageRenderer

    return _page_view().render(ValidationResultsPageRenderer().render(result))


def _write(path: Path, text: str) -> None:
    """Readers (the web UI) never see a half-written page."""
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(staging, path)


def write_data_docs(
    home: Path,
    corpus: str,
    version: int,
    results: list[tuple[str, Any]],
    *,
    verdict: str,
    notes: list[str],
) -> Path:
    """One page per (name, validation result) and an `index.html` linking them; returns the
    index path."""
    folder = docs_folder(home, corpus, version)
    folder.mkdir(parents=True, exist_ok=True)
    links = []
    for name, result in results:
        page = f"{name}.html"
        _write(folder / page, render_page(result))
        status = "passed" if result.success else "failed"
        links.append(f'<li><a href="{page}">{html.escape(name)}</a>: {status}</li>')
    note_items = "".join(f"<li>{html.escape(n)}</li>" for n in notes) or "<li>none</li>"
    index = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(corpus)} v{version}: data docs</title></head><body>"
        f"<h1>{html.escape(corpus)} v{version}</h1><p>Gate verdict: {html.escape(verdict)}</p>"
        f"<h2>Validations</h2><ul>{''.join(links)}</ul>"
        f"<h2>Skipped gates</h2><ul>{note_items}</ul></body></html>\n"
    )
    _write(folder / "index.html", index)
    return folder / "index.html"
