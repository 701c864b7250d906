# A program that looks up a tunnel service's name and connects to it, all on loopback: a DNS
# responder on 127.0.0.79:53 answers every A question with 127.0.0.79, a TCP listener takes
# the connection on port 8443. The recorder sees the answer arrive and the connect to the
# address it gave, so Sigma's DestinationHostname names the connection.
#
#   python3 tunnel_lookup.py <name>
import socket
import struct
import sys
import threading

ADDR = "127.0.0.79"


def serve_dns(sock):
    query, peer = sock.recvfrom(512)
    end = query.index(b"\0", 12) + 5  # the question: name, type, class
    header = query[:2] + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0)
    answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton(ADDR)
    sock.sendto(header + query[12:end] + answer, peer)


def main():
    name = sys.argv[1]
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind((ADDR, 53))
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((ADDR, 8443))
    listener.listen(1)
    server = threading.Thread(target=serve_dns, args=(dns,))
    server.start()
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    question = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    client.sendto(struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + question + struct.pack(">HH", 1, 1), (ADDR, 53))
    response, _ = client.recvfrom(512)
    address = socket.inet_ntoa(response[-4:])
    server.join()
    conn = socket.create_connection((address, 8443))
    peer, _ = listener.accept()
    conn.close()
    peer.close()


main()
