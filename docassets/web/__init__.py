"""`docassets serve`: a small read-only search page for people who don't use a terminal.

The same search as `docassets search` (syntax, filters, citations) over the same tables, and each
hit's page rendered from the stored PDF beside it. Only GET routes; nothing is written.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pymupdf
import sqlalchemy as sa
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from docassets.core.search_query import QuerySyntaxError
from docassets.preflight import blob_store_for
from docassets.search import MARK_END, MARK_START, EntityNotFound, Together, search
from docassets.settings import Settings
from docassets.storage import tables as t
from docassets.storage.blobs import BlobStore
from docassets.storage.tables import TableStore, open_tables

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
PAGE_DPI = 80  # enough to read a page beside its hit, small enough to render in a few ms
ENTITY_CHOICES = 500  # most mentioned entities offered as the entity filter's suggestions


def highlighted(snippet: str) -> Markup:
    """A snippet as HTML: its text escaped, its matched words in <mark>."""
    return Markup(str(escape(snippet)).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


def _projects(tables: TableStore) -> list[str]:
    sources = t.source_documents
    return list(tables.frame(sa.select(sources.c.project).distinct().order_by(sources.c.project)).project)


def _entity_names(tables: TableStore, project: str) -> list[str]:
    entities = t.resolved_entities
    return list(
        tables.frame(
            sa.select(entities.c.canonical_name)
            .where(entities.c.project == project)
            .order_by(entities.c.mention_count.desc())
            .limit(ENTITY_CHOICES)
        ).canonical_name
    )


def search_page(request: Request, tables: TableStore) -> Response:
    params = request.query_params
    projects = _projects(tables)
    project = params.get("project") or (projects[0] if projects else "")
    query = params.get("q", "").strip()
    entities = [
        name for name in (params.get("entity", "").strip(), params.get("entity2", "").strip()) if name
    ]
    together: Together = "sentence" if params.get("same") == "sentence" else "page"
    hits, error = [], None
    if query and project:
        try:
            hits = search(tables, project, query, entities=entities, together=together, limit=50)
        except (QuerySyntaxError, EntityNotFound) as problem:
            error = str(problem)
    return TEMPLATES.TemplateResponse(
        request,
        "search.html",
        {
            "projects": projects,
            "project": project,
            "query": query,
            "entities": entities,
            "together": together,
            "entity_names": _entity_names(tables, project) if project else [],
            "hits": hits,
            "error": error,
            "highlighted": highlighted,
        },
    )


def page_image(request: Request, tables: TableStore, store: BlobStore) -> Response:
    """One page of a stored PDF as a PNG."""
    document_id, number = request.path_params["document_id"], request.path_params["page"]
    sources = t.source_documents
    blob_key = tables.scalar(sa.select(sources.c.blob_key).where(sources.c.document_id == document_id))
    if blob_key is None:
        return Response(f"no document {document_id}", status_code=404, media_type="text/plain")
    with pymupdf.open(stream=store.get_bytes(blob_key), filetype="pdf") as pdf:
        if not 1 <= number <= pdf.page_count:
            return Response(f"{document_id} has no page {number}", status_code=404, media_type="text/plain")
        png = pdf[number - 1].get_pixmap(dpi=PAGE_DPI).tobytes("png")
    return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=3600"})


def create_app(settings: Settings) -> Starlette:
    tables = open_tables(settings.database_url)
    store = blob_store_for(settings)
    return Starlette(
        routes=[
            Route("/", partial(search_page, tables=tables), name="search"),
            Route(
                "/page/{document_id}/{page:int}.png",
                partial(page_image, tables=tables, store=store),
                name="page",
            ),
        ]
    )
