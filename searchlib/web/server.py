"""Running the application: a listening socket, then uvicorn until Ctrl-C or SIGTERM.

The socket is bound before the server starts, so the URL printed is one that already accepts
connections (and port 0 gives a free port, which tests use). One process answers HTTP; with
`processes` > 1 the library calls run in that many library processes that take them from one
queue (`searchlib.web.processes`), started and stopped with the application.
"""

from __future__ import annotations

import signal
import socket
from dataclasses import replace
from types import FrameType
from typing import Any

from searchlib.errors import ConfigError
from searchlib.web.app import WebSettings, create_app

__all__ = ["bind", "run", "url_of"]


def bind(host: str, port: int) -> socket.socket:
    """A socket listening on `host`:`port`; raises `ConfigError` when that is not possible."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        raise ConfigError(f"cannot listen on {host}:{port}: {err.strerror or err}; choose "
                          "another --port or --host") from err
    return sock


def url_of(sock: socket.socket) -> str:
    """The http:// URL a bound socket answers on."""
    host, port = sock.getsockname()[:2]
    if sock.family == socket.AF_INET6:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(settings: WebSettings, sock: socket.socket, *, processes: int = 1,
        access_log: bool = False) -> None:
    """Serve `settings` on `sock` until SIGINT (Ctrl-C) or SIGTERM, with `processes` library
    processes when more than one; returns after a clean shutdown (open requests finish, up to
    5 s)."""
    import uvicorn

    options: dict[str, Any] = {"log_level": "info" if access_log else "warning",
                               "access_log": access_log, "timeout_keep_alive": 5,
                               "timeout_graceful_shutdown": 5, "server_header": False}
    if processes > 1:
        settings = replace(settings, processes=processes)
    try:
        _serve(uvicorn.Server(uvicorn.Config(create_app(settings), **options)), sock)
    finally:
        sock.close()


def _serve(server: Any, sock: socket.socket) -> None:
    # uvicorn stops gracefully on the signal, then raises it again for the previous handler:
    # SIGTERM becomes KeyboardInterrupt too, so both end here, not in a traceback or a kill.
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
