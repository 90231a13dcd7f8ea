"""`xuncha serve`'s limits over raw sockets, as a slow or hostile client meets them: a
request head held open is closed after the header timeout, and so is a request body that
stops arriving (a body that arrives slowly but steadily is not), an oversized head is refused,
an oversized upload is 413 from its Content-Length before its body is sent, and an
anonymous upload is 401 without the server receiving it."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.serve_process import Server, create_token, serving

HEAD_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """One server for the module (a fresh SQLite database), with 1 s header and body
    timeouts, and an admin token."""
    url = f"sqlite:///{tmp_path_factory.mktemp('serve-limits') / 'pool.sqlite3'}"
    with serving(url, env={"XUNCHA_HEADER_TIMEOUT_SECONDS": str(HEAD_TIMEOUT),
                           "XUNCHA_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT)}) as running:
        yield running, create_token(url, "admin")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def error(self) -> dict[str, Any]:
        error: dict[str, Any] = json.loads(self.body)["error"]
        return error


def connect(server: Server) -> socket.socket:
    parts = urlsplit(server.base_url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    return sock


def read_answer(sock: socket.socket) -> Answer:
    """One HTTP answer (its body by Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed without an answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}
    while len(body) < int(headers.get("content-length", 0)):
        chunk = sock.recv(65536)
        assert chunk, "closed in the middle of the body"
        body += chunk
    return Answer(int(status_line.split()[1]), headers, body)


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes the connection within `seconds` (anything it still
    sends is skipped)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def upload_head(length: int, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST /v1/imports HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}"
            "Content-Type: multipart/form-data; boundary=xunchaboundary\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


def test_a_partial_request_head_is_closed_after_the_timeout(server: tuple[Server, str]
                                                            ) -> None:
    running, _token = server
    with connect(running) as slow, connect(running) as idle:
        started = time.monotonic()
        slow.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        answer = read_answer(slow)
        waited = time.monotonic() - started
        assert answer.status == 408 and answer.headers["connection"] == "close"
        assert answer.error()["code"] == "header_timeout" and "秒" in answer.error()["zh"]
        assert HEAD_TIMEOUT * 0.9 <= waited < HEAD_TIMEOUT + 3, waited
        assert closed_within(slow, 3)
        assert closed_within(idle, 3)  # connected, nothing sent: closed without a word


def test_a_kept_alive_connection_is_not_cut_between_requests(server: tuple[Server, str]
                                                             ) -> None:
    running, _token = server
    request = b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with connect(running) as sock:
        sock.sendall(request)
        assert read_answer(sock).status == 200
        time.sleep(HEAD_TIMEOUT * 1.5)  # idle, within uvicorn's 5 s keep-alive
        sock.sendall(request)
        assert read_answer(sock).status == 200


def test_an_upload_that_stops_midway_is_closed_and_nothing_is_imported(
        server: tuple[Server, str]) -> None:
    running, token = server
    part = ("--xunchaboundary\r\nContent-Disposition: form-data; name=\"files\"; "
            "filename=\"systems.csv\"\r\nContent-Type: text/csv\r\n\r\n"
            "系统代码,名称\r\nslowloris,慢速𠮷\r\n").encode()
    with connect(running) as sock:
        started = time.monotonic()
        sock.sendall(upload_head(len(part) + 4096, token) + part)  # then nothing more
        answer = read_answer(sock)
        waited = time.monotonic() - started
        assert answer.status == 408 and answer.headers["connection"] == "close"
        assert answer.error()["code"] == "body_timeout" and "未作任何处理" in answer.error()["zh"]
        assert BODY_TIMEOUT * 0.9 <= waited < BODY_TIMEOUT + 3, waited
        assert closed_within(sock, 3)
    assert b"slowloris" not in systems(running, token)  # the stalled upload: not imported
    whole = part + b"\r\n--xunchaboundary--\r\n"
    with connect(running) as sock:  # the same upload sent whole is imported
        sock.sendall(upload_head(len(whole), token) + whole)
        assert read_answer(sock).status == 200
    assert b"slowloris" in systems(running, token)


def systems(running: Server, token: str) -> bytes:
    with connect(running) as sock:
        sock.sendall(f"GET /v1/systems HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     f"Authorization: Bearer {token}\r\n\r\n".encode())
        answer = read_answer(sock)
        assert answer.status == 200
        return answer.body


def test_a_slow_but_steady_body_is_not_cut(server: tuple[Server, str]) -> None:
    running, token = server
    body = json.dumps({"key": "R-slow", "name": "慢速提交 slow"}).encode()
    pieces = [body[i:i + 12] for i in range(0, len(body), 12)][:4]
    pieces[-1] += body[12 * 4:]
    with connect(running) as sock:
        sock.sendall(f"POST /v1/rounds HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode())
        for piece in pieces:  # 4 pieces 0.6 s apart: 2.4 s in all, each pause under 1 s
            time.sleep(BODY_TIMEOUT * 0.6)
            sock.sendall(piece)
        answer = read_answer(sock)
        assert answer.status == 422, answer  # read whole and judged: an incomplete round


def test_an_oversized_request_head_is_refused(server: tuple[Server, str]) -> None:
    running, _token = server
    with connect(running) as sock:  # just past the 64 KiB limit: a 431 in our shape
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
                     + b"a" * (80 << 10))
        answer = read_answer(sock)
        assert answer.status == 431 and answer.error()["code"] == "headers_too_large"
        assert closed_within(sock, 3)
    with connect(running) as sock:  # 10 MB: the connection is cut while it is being sent
        try:
            sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
            for _ in range(160):
                sock.sendall(b"a" * (64 << 10))
        except (BrokenPipeError, ConnectionResetError):
            pass
        else:  # all of it fitted in the socket buffers: the answer says no
            assert read_answer(sock).status == 431
    with connect(running) as sock:  # and the server still answers
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_answer(sock).status == 200


def test_an_oversized_upload_is_413_before_its_body_is_sent(server: tuple[Server, str]
                                                            ) -> None:
    running, token = server
    with connect(running) as sock:
        sock.sendall(upload_head(200 << 20, token))  # 200 MB announced, nothing sent
        answer = read_answer(sock)
        assert answer.status == 413 and answer.headers["connection"] == "close"
        error = answer.error()
        assert error["code"] == "payload_too_large" and error["field"] == "files"
        assert "64 MB" in error["zh"] and "64 MB" in error["en"]
        assert closed_within(sock, 3)


def test_an_anonymous_upload_is_401_without_being_received(server: tuple[Server, str]
                                                           ) -> None:
    running, _token = server
    with connect(running) as sock:
        sock.sendall(upload_head(60 << 20, None) + b"--xunchaboundary\r\n" + b"x" * 65536)
        answer = read_answer(sock)
        assert answer.status == 401 and answer.headers["www-authenticate"] == "Bearer"
        assert answer.error()["field"] == "Authorization"
        assert closed_within(sock, 3)
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            for _ in range(60 * 16):  # the rest of the 60 MB: nobody reads it
                sock.sendall(b"x" * (64 << 10))
