"""What `xuncha serve` checks and says before uvicorn starts: that the address is free (a
busy port is one line, not uvicorn's log), and where the service listens."""

from __future__ import annotations

import errno
import socket

from service.cli_errors import CliFailure

WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def check_address(host: str, port: int) -> None:
    """Bind the address as uvicorn will (SO_REUSEADDR, IPv6 when the host has a colon)
    and let it go; CliFailure saying what to change when that fails."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror:
            raise CliFailure(f"无法解析监听地址 {host}：请用 --host 给出本机地址，如 127.0.0.1",
                             f"cannot resolve the bind address {host}: give an address of "
                             "this machine with --host, e.g. 127.0.0.1") from None
        except OSError as exc:
            raise _bind_failure(host, port, exc) from None


def _bind_failure(host: str, port: int, exc: OSError) -> CliFailure:
    if exc.errno == errno.EADDRINUSE:
        return CliFailure(f"端口 {port} 已被占用（{host}）：请先停止占用它的程序，或用 --port "
                          "换一个端口",
                          f"port {port} on {host} is already in use: stop the program using "
                          "it, or choose another port with --port")
    if exc.errno == errno.EACCES:
        return CliFailure(f"无权监听端口 {port}（1024 以下的端口需要管理员权限）：请用 --port "
                          "换一个端口",
                          f"no permission to listen on port {port} (ports below 1024 need "
                          "administrator rights): choose another port with --port")
    if exc.errno == errno.EADDRNOTAVAIL:
        return CliFailure(f"{host} 不是本机的地址：请用 --host 127.0.0.1（仅本机）或 0.0.0.0"
                          "（所有网络接口）",
                          f"{host} is not an address of this machine: use --host 127.0.0.1 "
                          "(this machine only) or 0.0.0.0 (every network interface)")
    return CliFailure(f"无法监听 {host}:{port}：{exc.strerror}",
                      f"cannot listen on {host}:{port}: {exc.strerror}")


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def listening_lines(host: str, port: int, workers: int, database: str) -> list[str]:
    """Where the service listens, in Chinese and English."""
    local = WILDCARDS.get(host)
    address = _url(host, port)
    if local is not None:
        address += (f"（所有网络接口；本机访问 {_url(local, port)} / every network interface; "
                    f"on this machine {_url(local, port)}）")
    docs = _url(local or host, port) + "/docs"
    return ["xuncha 服务启动 / starting the xuncha service",
            f"  监听地址 listening on: {address}",
            f"  接口文档 API docs:     {docs}",
            f"  进程数 workers:        {workers}",
            f"  数据库 database:       {database}",
            "  按 Ctrl-C 停止 / press Ctrl-C to stop"]
