# Asks dns_server.py (on 127.0.0.77:53) questions directly, through every call resolvers send
# and receive DNS with, and writes {pid, unconnected_fd, connected_fd} as JSON to argv[1]:
#   0x1001 www A        sendto, recvfrom                   (unconnected socket)
#   0x1002 www AAAA     sendmsg, recvmsg
#   0x1003 www A        write, read                        (connected socket)
#   0x1004 many A and 0x1005 nx A: one sendmmsg, then recvmmsg (as glibc sends A and AAAA)
#   0x1006 cut A        a malformed response               (unconnected again)
#   0x1007 loop A       a name that points at itself
#   0x1008 www A        the response peeked at (MSG_PEEK), then read
#   0x1009 many A       read into a 100-byte buffer: the datagram is cut to fit
#   0x100a none AAAA    no data; 0x100b example.org A: refused
import ctypes
import json
import os
import socket
import struct
import sys

SERVER = ("127.0.0.77", 53)


def query(qid, name, qtype):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    return q + struct.pack(">HH", qtype, 1)


class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32), ("iov", ctypes.POINTER(iovec)),
                ("iovlen", ctypes.c_size_t), ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", msghdr), ("len", ctypes.c_uint)]


libc = ctypes.CDLL(None, use_errno=True)


def mmsg(call, fd, buffers, flags=0):
    """sendmmsg/recvmmsg of the buffers on a connected socket; returns the lengths."""
    n = len(buffers)
    bufs = [ctypes.create_string_buffer(b, len(b)) if isinstance(b, bytes) else ctypes.create_string_buffer(b) for b in buffers]
    iovs = (iovec * n)(*[iovec(ctypes.cast(b, ctypes.c_void_p), len(b)) for b in bufs])
    msgs = (mmsghdr * n)()
    for i in range(n):
        msgs[i].hdr.iov = ctypes.pointer(iovs[i])
        msgs[i].hdr.iovlen = 1
    args = (fd, msgs, n, flags) + ((None,) if call == "recvmmsg" else ())
    got = getattr(libc, call)(*args)
    if got < 0:
        raise OSError(ctypes.get_errno(), call)
    return [bufs[i].raw[:msgs[i].len] for i in range(got)]


def main():
    out = sys.argv[1]
    s1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s1.settimeout(5)
    s2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # blocking: recvmmsg waits for the first
    s2.connect(SERVER)

    s1.sendto(query(0x1001, "www.flightrec.test", 1), SERVER)
    s1.recvfrom(512)
    s1.sendmsg([query(0x1002, "www.flightrec.test", 28)], [], 0, SERVER)
    s1.recvmsg(512)
    os.write(s2.fileno(), query(0x1003, "www.flightrec.test", 1))
    os.read(s2.fileno(), 512)
    mmsg("sendmmsg", s2.fileno(), [query(0x1004, "many.flightrec.test", 1), query(0x1005, "nx.flightrec.test", 1)])
    got = 0
    while got < 2:
        got += len(mmsg("recvmmsg", s2.fileno(), [512] * (2 - got), 0x10000))  # MSG_WAITFORONE
    for qid, name, qtype in [(0x1006, "cut.flightrec.test", 1), (0x1007, "loop.flightrec.test", 1)]:
        s1.sendto(query(qid, name, qtype), SERVER)
        s1.recvfrom(512)
    s1.sendto(query(0x1008, "www.flightrec.test", 1), SERVER)
    s1.recvfrom(512, socket.MSG_PEEK)
    s1.recvfrom(512)
    s1.sendto(query(0x1009, "many.flightrec.test", 1), SERVER)
    s1.recvfrom(100)
    for qid, name, qtype in [(0x100A, "none.flightrec.test", 28), (0x100B, "example.org", 1)]:
        s1.sendto(query(qid, name, qtype), SERVER)
        s1.recvfrom(512)
    with open(out, "w") as f:
        json.dump({"pid": os.getpid(), "unconnected_fd": s1.fileno(), "connected_fd": s2.fileno()}, f)


if __name__ == "__main__":
    main()
