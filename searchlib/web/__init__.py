"""The HTTP layer: a JSON API over `Index` and the search page, served by uvicorn.

Every endpoint is one library call rendered by the result type's own `to_json()`, so the API's
JSON is the CLI's `--json`. The search page is static HTML, CSS and JavaScript shipped in
`searchlib/web/static` that calls the API. Needs the ``serve`` extra (FastAPI, uvicorn).

Not here: searching, counting or record formats (the library), options and messages of the
`serve` command (`searchlib.cli`).
"""

from searchlib.web.app import TOKEN_ENV, WebSettings, create_app
from searchlib.web.server import bind, run, url_of

__all__ = ["TOKEN_ENV", "WebSettings", "bind", "create_app", "run", "url_of"]
