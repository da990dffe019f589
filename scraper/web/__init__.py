"""``kabar serve``: the archive in a browser (Starlette + Jinja2 on uvicorn, read-only).

:mod:`scraper.web.app` has the routes, :mod:`scraper.web.views` and :mod:`scraper.web.sources` the data of
each page, :mod:`scraper.web.diff` the sentence alignment of a story's copies.
"""
