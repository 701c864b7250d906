# Connection attempts a responder must see, over loopback: a refused blocking connect, a
# non-blocking connect that fails after it returned EINPROGRESS, a sweep of closed ports, and
# a server that shutdown()s before it closes (its socket has no local port by then). Prints
# the ports and byte counts as JSON for the test to check against.
import json
import select
import socket
import sys
import threading

SWEEP, SENT, ANSWERED = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])


def closed_ports(n):
    """Ports nothing listens on: bound, then released."""
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


refused_port, later_port, *sweep = closed_ports(2 + SWEEP)

c = socket.socket()
refused = c.connect_ex(("127.0.0.1", refused_port))
c.close()

c = socket.socket()
c.setblocking(False)
in_progress = c.connect_ex(("127.0.0.1", later_port))
select.select([], [c], [], 5)
later = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
c.close()

swept = []
for p in sweep:
    c = socket.socket()
    swept.append(c.connect_ex(("127.0.0.1", p)))
    c.close()

srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
server_port = srv.getsockname()[1]
done = threading.Event()


def serve():
    conn, _ = srv.accept()
    n = 0
    while n < SENT:
        n += len(conn.recv(65536))
    conn.sendall(b"a" * ANSWERED)
    conn.shutdown(socket.SHUT_RDWR)
    done.wait(5)  # the client has closed too: the socket is in CLOSE, its port given back
    conn.close()


t = threading.Thread(target=serve)
t.start()
cli = socket.socket()
cli.connect(("127.0.0.1", server_port))
client_port = cli.getsockname()[1]
cli.sendall(b"q" * SENT)
got = 0
while True:
    chunk = cli.recv(65536)
    if not chunk:
        break
    got += len(chunk)
cli.close()
done.set()
t.join()
srv.close()
print(json.dumps({"refused_port": refused_port, "refused": refused, "later_port": later_port, "in_progress": in_progress,
                  "later": later, "sweep": sweep, "swept": swept, "server_port": server_port, "client_port": client_port,
                  "client_got": got}))
