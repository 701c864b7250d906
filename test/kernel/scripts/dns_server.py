# A DNS server for the dns kernel tests: answers on a loopback address, UDP port 53, from a fixed
# zone, while a command runs, then exits with the command's status.
#
#   python3 dns_server.py <address> -- <command...>
#
# The zone (every answer's owner name is a compression pointer, as real servers write them):
#   www.flightrec.test   A: a CNAME chain www -> edge.flightrec.test -> cdn.flightrec.test
#                        (the second CNAME's owner and target compressed into the first's),
#                        then two A records of cdn; AAAA: the same chain, one AAAA record
#   many.flightrec.test  A: ten A records, 10.0.0.1 .. 10.0.0.10 (more than a response's rows)
#   local.flightrec.test A: 127.0.0.78, for a connection to be named by
#   nx.flightrec.test    NXDOMAIN
#   cut.flightrec.test   A: says two answers, sends one and half of the second (malformed)
#   loop.flightrec.test  A: an answer whose name is a compression pointer to itself
#   other names          REFUSED
import socket
import struct
import subprocess
import sys
import threading

TTL_CNAME, TTL_A = 3600, 300


def name(n):
    return b"".join(bytes([len(label)]) + label.encode() for label in n.split(".")) + b"\0"


def record(owner, rtype, ttl, rdata):
    return owner + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


def answer(query):
    qid, _flags, qdcount = struct.unpack(">HHH", query[:6])
    end = query.index(b"\0", 12) + 1
    qname = query[12:end]
    qtype = struct.unpack(">H", query[end:end + 2])[0]
    question = query[12:end + 4]
    labels, i = [], 0
    while qname[i]:
        labels.append(qname[i + 1:i + 1 + qname[i]].decode())
        i += 1 + qname[i]
    host = ".".join(labels)
    at_q = b"\xc0\x0c"  # a pointer to the question's name
    rcode, answers = 0, []
    if host == "www.flightrec.test":
        # edge.flightrec.test: "edge" then a pointer to "flightrec.test" in the question (offset 16).
        edge = b"\x04edge\xc0\x10"
        edge_at = 12 + len(question) + 12  # where the first CNAME's rdata starts
        answers.append(record(at_q, 5, TTL_CNAME, edge))
        cdn = b"\x03cdn\xc0\x10"
        answers.append(record(struct.pack(">H", 0xC000 | edge_at), 5, TTL_CNAME, cdn))
        cdn_at = edge_at + len(edge) + 12
        owner = struct.pack(">H", 0xC000 | cdn_at)
        if qtype == 1:
            answers += [record(owner, 1, TTL_A, bytes([192, 0, 2, 10])), record(owner, 1, TTL_A + 1, bytes([192, 0, 2, 11]))]
        elif qtype == 28:
            answers.append(record(owner, 28, TTL_A, socket.inet_pton(socket.AF_INET6, "2001:db8::10")))
    elif host == "many.flightrec.test" and qtype == 1:
        answers += [record(at_q, 1, TTL_A, bytes([10, 0, 0, i])) for i in range(1, 11)]
    elif host == "local.flightrec.test" and qtype == 1:
        answers.append(record(at_q, 1, TTL_A, bytes([127, 0, 0, 78])))
    elif host == "nx.flightrec.test":
        rcode = 3
    elif host == "cut.flightrec.test" and qtype == 1:
        body = record(at_q, 1, TTL_A, bytes([192, 0, 2, 99])) + record(at_q, 1, TTL_A, bytes([192, 0, 2, 98]))
        return struct.pack(">HHHHHH", qid, 0x8180, 1, 2, 0, 0) + question + body[:-6]
    elif host == "loop.flightrec.test" and qtype == 1:
        here = 12 + len(question)
        answers.append(record(struct.pack(">H", 0xC000 | here), 1, TTL_A, bytes([192, 0, 2, 77])))
    elif host.endswith(".flightrec.test"):
        pass  # NOERROR, no data
    else:
        rcode = 5
    return struct.pack(">HHHHHH", qid, 0x8180 | rcode, qdcount, len(answers), 0, 0) + question + b"".join(answers)


def serve(sock):
    while True:
        query, peer = sock.recvfrom(512)
        sock.sendto(answer(query), peer)


def main():
    address = sys.argv[1]
    command = sys.argv[sys.argv.index("--") + 1:]
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((address, 53))
    threading.Thread(target=serve, args=(sock,), daemon=True).start()
    sys.exit(subprocess.run(command).returncode)


if __name__ == "__main__":
    main()
