"""The benchmarks' HTTP client: what a browser does against gunicorn on loopback, and no more.

A keep-alive connection; the town named in the Host header; with a cookie jar, the cookies the server
sets, sent back and forgotten when it expires them, and the CSRF token put in each form; with an
address, the X-Forwarded-For that the one reverse proxy in front of gunicorn would write (the servers
then run with TRUSTED_PROXY_COUNT=1).

A request on a reused connection that fails before any answer (gunicorn closed it while idle: the
keep-alive timeout, a recycled worker) is sent once more on a fresh connection, as browsers do; any
other failure is the caller's (OSError or http.client.HTTPException).
"""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlencode, urlsplit


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    content: bytes
    seconds: float  # from sending the request to the last byte of the answer

    @cached_property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        """The path the answer redirects to ("" when it does not)."""
        return urlsplit(self.headers.get("location", "")).path


class Connection:
    """One keep-alive connection to gunicorn on 127.0.0.1; each request names its town."""

    def __init__(self, port: int, *, timeout: float = 60) -> None:
        self.port, self.timeout = port, timeout
        self._connection: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        host: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
        ip: str = "",
    ) -> Answer:
        """The answer to one request. ``cookies`` is the jar: sent, then updated from the answer."""
        headers = {"Host": host, "Accept-Encoding": "identity"}
        if ip:
            headers["X-Forwarded-For"] = ip
        body = None
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": csrf_token(cookies or {})})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        started = time.perf_counter()
        for attempt in (1, 2):
            is_reused = self._connection is not None
            if self._connection is None:
                self._connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self._connection.request(method, path, body=body, headers=headers)
                response = self._connection.getresponse()
                content = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.close()
                if not is_reused or attempt == 2:
                    raise
        seconds = time.perf_counter() - started
        if cookies is not None:
            keep_cookies(cookies, response.msg.get_all("Set-Cookie") or [])
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return Answer(response.status, headers, content, seconds)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class Browser:
    """A resident's browser in one town: its connection, its cookie jar and, with ``ip``, its address."""

    def __init__(self, port: int, host: str, ip: str = "") -> None:
        self.host, self.ip = host, ip
        self.connection = Connection(port)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        return self.connection.request(method, self.host, path, form=form, cookies=self.cookies, ip=self.ip)

    def close(self) -> None:
        self.connection.close()


def csrf_token(cookies: dict[str, str]) -> str:
    # "csrftoken" or "__Host-csrftoken", whichever the settings chose; the unmasked secret is accepted.
    return next((value for name, value in cookies.items() if name.endswith("csrftoken")), "")


def keep_cookies(jar: dict[str, str], set_cookies: list[str]) -> None:
    """The jar updated from an answer's Set-Cookie headers: a cookie set empty or expired is forgotten."""
    for header in set_cookies:
        pair, *attributes = header.split(";")
        name, _equals, value = pair.strip().partition("=")
        lowered = [attribute.strip().lower() for attribute in attributes]
        expired = "max-age=0" in lowered or any(text.startswith("expires=thu, 01 jan 1970") for text in lowered)
        if expired or value in ("", '""'):
            jar.pop(name, None)
        else:
            jar[name] = value
