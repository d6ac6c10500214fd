#!/usr/bin/env python3
"""Opens N idle connections to a server (each after one exchange) and reports its RSS growth per connection.

    idle_connections.py PID HOST PORT COUNT [http|solarman] [TARGET_BYTES]

http: one GET /healthz per connection; solarman: one V5 heartbeat frame, answered with a 23-byte reply."""
import socket
import sys


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def heartbeat(serial):
    """A logger heartbeat (control 0x4710, payload 00) as docs/protocols/solarman-v5.md describes it."""
    head = bytes([0xA5, 1, 0, 0x10, 0x47, 0, 1]) + serial.to_bytes(4, "little") + b"\x00"
    return head + bytes([sum(head[1:]) & 0xFF, 0x15])


def main():
    pid, host, port, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    mode = sys.argv[5] if len(sys.argv) > 5 else "http"
    target = int(sys.argv[6]) if len(sys.argv) > 6 else 16384
    before = rss_kib(pid)
    sockets = []
    for i in range(count):
        s = socket.create_connection((host, port))
        if mode == "solarman":
            s.sendall(heartbeat(4_000_000_000 + i))
            reply = b""
            while len(reply) < 23:
                chunk = s.recv(64)
                if not chunk:
                    sys.exit(f"connection {i} closed before its reply")
                reply += chunk
        else:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(4096)
        sockets.append(s)
    after = rss_kib(pid)
    grown = after - before
    print(f"RSS {before} KiB -> {after} KiB with {count} idle connections: {grown * 1024 / count:.0f} bytes each "
          f"(target <= {target})")
    for s in sockets:
        s.close()


if __name__ == "__main__":
    main()
