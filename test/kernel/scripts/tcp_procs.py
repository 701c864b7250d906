# A TCP server and a client in two processes over 127.0.0.1: the server (a forked child)
# listens, accepts once, receives SEND bytes and sends ECHO back; the client (the parent)
# connects, sends, receives, closes. Prints both pids and ports as JSON for the test to check
# the owner of each socket.
import json
import os
import socket
import sys

SEND, ECHO = int(sys.argv[1]), int(sys.argv[2])


def receive(sock, want):
    n = 0
    while n < want:
        chunk = sock.recv(65536)
        if not chunk:
            break
        n += len(chunk)
    return n


port_r, port_w = os.pipe()
server_pid = os.fork()
if server_pid == 0:
    os.close(port_r)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    os.write(port_w, str(srv.getsockname()[1]).encode())
    os.close(port_w)
    conn, _ = srv.accept()
    receive(conn, SEND)
    conn.sendall(b"e" * ECHO)
    conn.close()
    srv.close()
    os._exit(0)
os.close(port_w)
server_port = int(os.read(port_r, 16))
cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
cli.connect(("127.0.0.1", server_port))
client_port = cli.getsockname()[1]
cli.sendall(b"s" * SEND)
receive(cli, ECHO)
cli.close()
os.waitpid(server_pid, 0)
print(json.dumps({"server_pid": server_pid, "client_pid": os.getpid(), "server_port": server_port, "client_port": client_port}))
