"""`with FakeLMS() as lms:` a fake LMS on a loopback port in this process, for tests and scripts."""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from fake_lms.app import create_app
from fake_lms.config import LMSConfig
from fake_lms.content import create_content_app, set_content_origin

if TYPE_CHECKING:  # loaded by the methods that use them: `serve` (via LiveServer) needs neither
    import requests

    from fake_lms.client import AdminClient


class QuietHandler(WSGIRequestHandler):
    """No access log line per request: the journal already records every exchange."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LiveServer:
    """A WSGI app on a loopback port, served by threads of this process until `stop()`."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._server = make_server(
            self._host, self._port, self.app, threaded=True, request_handler=QuietHandler
        )  # threaded: a ThreadedWSGIServer, whose request threads are daemons
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://{self._host}:{self._server.server_port}"


class FakeLMS(LiveServer):
    """The fake LMS in this process; many can run at once, each with its own store. Imported
    course files are served from an origin of their own, `content_url` (fake_lms/content.py)."""

    def __init__(
        self, config: LMSConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or LMSConfig()
        super().__init__(create_app(self.config), host=host, port=port)
        self.content = LiveServer(create_content_app(self.app), host=host)

    def start(self) -> Self:
        super().start()
        try:
            self.content.start()
        except OSError:
            super().stop()
            raise
        set_content_origin(self.app, self.content.base_url)
        return self

    def stop(self) -> None:
        self.content.stop()
        super().stop()
        self.app.extensions["weare"].close()

    @property
    def content_url(self) -> str:
        """The origin of imported course files (scheme://host:port), apart from `base_url`."""
        return self.content.base_url

    # -- addresses and credentials ---------------------------------------------------------

    def endpoint(self, mount: str | None = None) -> str:
        return f"{self.base_url}/xapi/{mount or self.config.default_mount}/"

    @property
    def api_key(self) -> tuple[str, str]:
        key = self.config.api_keys[0]
        return key.username, key.secret

    def client(self, version: str | None = "1.0.3", auth: Any = "default") -> requests.Session:
        """A requests session with the API key and the version header already set."""
        import requests

        session = requests.Session()
        if auth == "default":
            session.auth = self.api_key
        elif auth is not None:
            session.auth = auth
        if version is not None:
            session.headers["X-Experience-API-Version"] = version
        return session

    def admin_client(self, **options: Any) -> AdminClient:
        """A client of this LMS's admin API with the server-wide key (`options`: see AdminClient)."""
        from fake_lms.client import AdminClient

        return AdminClient(self.base_url, self.api_key, **options)

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The raw answer of the admin API, for tests that look at statuses."""
        client = self.admin_client()
        try:
            return client.request(method, path, **kwargs)
        finally:
            client.close()

    @property
    def db_path(self) -> Path:
        return Path(self.config.db_path)
