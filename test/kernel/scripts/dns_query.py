# Sends one DNS question to a UDP responder on a loopback address, port 53, and waits for the
# answer: `sendto` to the address, or with "connected" `connect` then `send`.
import socket
import struct
import sys

name, qtype, how = sys.argv[1], int(sys.argv[2]), sys.argv[3]
server = ("127.0.0.77", 53)
resp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
resp.bind(server)

qid = 0x4242
query = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
query += b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
query += struct.pack(">HH", qtype, 1)

cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if how == "connected":
    cli.connect(server)
    cli.send(query)
else:
    cli.sendto(query, server)
data, peer = resp.recvfrom(512)
resp.sendto(data[:2] + b"\x81\x83" + data[4:], peer)  # NXDOMAIN
cli.recv(512)
