# A reverse shell over loopback: this process listens, and a child it forks connects to it,
# puts the socket on its stdin, stdout and stderr and runs bash, which starts three more
# shells that inherit the socket. Writes the listening port to the file given.
import os
import socket
import sys

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
listener.listen(1)
port = listener.getsockname()[1]
with open(sys.argv[1], "w") as f:
    f.write(str(port))

child = os.fork()
if child == 0:
    s = socket.create_connection(("127.0.0.1", port))
    for fd in (0, 1, 2):
        os.dup2(s.fileno(), fd)
    os.execv("/bin/bash", ["bash", "-c", 'sh -c "echo one"; sh -c "echo two"; sh -c "echo three"'])

conn, _ = listener.accept()
while conn.recv(4096):
    pass
os.waitpid(child, 0)
