"""The web app (issue 7): FastAPI, server-rendered pages with HTMX, and a JSON API under /api.

A thin face over the same Python API as the command line: :func:`remission.web.app.create_app`
builds the application; ``remission serve`` runs it with uvicorn.
"""
