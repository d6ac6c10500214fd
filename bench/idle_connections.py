#!/usr/bin/env python3
"""Opens N idle keep-alive connections to the server (each after one request) and reports its RSS growth."""
import socket
import sys


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    pid, host, port, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    before = rss_kib(pid)
    sockets = []
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    for _ in range(count):
        s = socket.create_connection((host, port))
        s.sendall(request)
        s.recv(4096)
        sockets.append(s)
    after = rss_kib(pid)
    grown = after - before
    print(f"RSS {before} KiB -> {after} KiB with {count} idle connections: {grown * 1024 / count:.0f} bytes each "
          f"(target <= 16384)")
    for s in sockets:
        s.close()


if __name__ == "__main__":
    main()
