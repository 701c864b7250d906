# A TCP server and client over loopback: the client sends SEND bytes, the server echoes
# ECHO bytes back, both close. Prints the ports as JSON for the test to check against.
import json
import socket
import sys
import threading

family = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
SEND, ECHO = int(sys.argv[2]), int(sys.argv[3])

srv = socket.socket(family, socket.SOCK_STREAM)
srv.bind((host, 0))
srv.listen(1)
server_port = srv.getsockname()[1]
got = []


def receive(sock, want):
    n = 0
    while n < want:
        chunk = sock.recv(65536)
        if not chunk:
            break
        n += len(chunk)
    return n


def serve():
    conn, _ = srv.accept()
    got.append(receive(conn, SEND))
    conn.sendall(b"e" * ECHO)
    conn.close()


t = threading.Thread(target=serve)
t.start()
cli = socket.socket(family, socket.SOCK_STREAM)
cli.connect((host, server_port))
client_port = cli.getsockname()[1]
cli.sendall(b"s" * SEND)
n = receive(cli, ECHO)
cli.close()
t.join()
srv.close()
print(json.dumps({"server_port": server_port, "client_port": client_port, "server_got": got[0], "client_got": n}))
