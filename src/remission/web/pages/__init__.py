"""The pages of the web app: one router per page family, all behind sign-in.

``routers`` is what :func:`remission.web.app.create_app` includes. Order matters where paths
overlap: the editor's ``/cases/new`` comes before the case page's ``/cases/{case_id}``.
"""

from fastapi import APIRouter

from remission.web.pages import admin, assess, cases, cohort, edit, extract, figures, importer

__all__ = ["routers"]

routers: list[APIRouter] = [
    edit.router,
    assess.router,
    figures.router,
    cases.router,
    cohort.router,
    importer.router,
    extract.router,
    admin.router,
]
