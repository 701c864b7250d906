# Hostile DNS responses: asks <count> questions of a server on 127.0.0.77:53 that this script
# plays itself, answering each with a response made from a seed (valid ones of every shape, then
# bytes flipped, counts changed, compression pointers aimed ahead or at themselves, messages cut
# short, read into buffers too small), and writes as JSON to argv[3] the rows the dns table must
# hold for the client's responses, by the rules bpf/dns.h documents, worked out here apart from it:
#
#   python3 dns_fuzz.py <seed> <count> <out.json>
#
# The question is never changed, so a row's qname is the one asked; everything after it is fair game.
import json
import os
import random
import socket
import struct
import sys

ANSWERS_MAX, RECORDS_MAX, BYTES_MAX = 8, 24, 2048  # src/schema/tables.ts, DNS_LIMITS
SERVER = ("127.0.0.77", 53)


def name(n):
    return b"".join(bytes([len(label)]) + label.encode() for label in n.split(".")) + b"\0"


def rr(owner, rtype, ttl, rdata, rclass=1):
    return owner + struct.pack(">HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def make(rnd, qid, question):
    """A response to `question` and whether its shape is valid before mutation."""
    at_q = b"\xc0\x0c"
    answers = []
    for _ in range(rnd.choice([0, 1, 2, 3, 5, 9, 12, 30])):
        kind = rnd.random()
        owner = at_q if rnd.random() < 0.7 else name("x%d.flightrec.test" % rnd.randrange(1000) + ".y" * rnd.randrange(20))
        ttl = rnd.randrange(1 << 32)
        if kind < 0.4:
            answers.append(rr(owner, 1, ttl, bytes(rnd.randrange(256) for _ in range(4))))
        elif kind < 0.6:
            answers.append(rr(owner, 28, ttl, bytes(rnd.randrange(256) for _ in range(16))))
        elif kind < 0.8:
            answers.append(rr(owner, 5, ttl, name("c%d.flightrec.test" % rnd.randrange(100))))
        elif kind < 0.9:
            answers.append(rr(owner, rnd.choice([16, 15, 2]), ttl, bytes(rnd.randrange(256) for _ in range(rnd.randrange(40)))))
        else:
            answers.append(rr(owner, 1, ttl, bytes(4), rclass=3))  # class CH: passed over
    flags = 0x8180 | rnd.choice([0, 0, 0, 2, 3, 5])
    return struct.pack(">HHHHHH", qid, flags, 1, len(answers), 0, 0) + question + b"".join(answers)


def mutate(rnd, msg, qend):
    m = bytearray(msg)
    for _ in range(rnd.choice([0, 0, 1, 1, 2, 4])):
        what = rnd.random()
        if what < 0.3 and len(m) > qend:  # a byte after the question
            m[rnd.randrange(qend, len(m))] = rnd.randrange(256)
        elif what < 0.45:  # the header's flags or counts
            i = rnd.choice([2, 3, 4, 5, 6, 7])
            m[i] = rnd.randrange(256)
        elif what < 0.6 and len(m) > qend + 2:  # a compression pointer, anywhere after the question
            i = rnd.randrange(qend, len(m) - 1)
            to = rnd.choice([i, i + 2, len(m) + 5, 0, 5, 12, rnd.randrange(len(m))])
            m[i:i + 2] = struct.pack(">H", 0xC000 | (to & 0x3FFF))
        elif what < 0.75:  # cut short
            del m[rnd.randrange(qend, len(m) + 1):]
        elif what < 0.85 and len(m) > qend:  # a label length out of range
            m[rnd.randrange(qend, len(m))] = rnd.choice([0x40, 0x80, 63, 64])
        else:  # bytes appended
            m += bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 40)))
    return bytes(m)


def u16(p, i):
    return p[i] << 8 | p[i + 1]


def expected(pkt, dgram_len, room):
    """The rows of a response as bpf/dns.h reads it: (answer, family, ttl, rcode, cut) each, or []."""
    length = min(dgram_len, room)
    whole = dgram_len < room and dgram_len <= BYTES_MAX
    length = min(length, BYTES_MAX)
    p = pkt[:length]
    if length < 17:
        return []
    flags = u16(p, 2)
    if not flags & 0x8000 or flags & 0x7800 or u16(p, 4) != 1:
        return []
    pos, done = 12, False
    for _ in range(128):
        if pos >= length:
            break
        c = p[pos]
        if c == 0:
            done = True
            break
        if c > 63:
            break
        pos += c + 1
    out = pos - 13 if pos > 12 else 0
    pos += 1
    if not done or pos + 4 > length or out > 255:
        return []
    pos += 4
    ancount, rcode = u16(p, 6), flags & 0xF
    cut = bool(flags & 0x0200)
    bad = False
    found = []

    def short():
        nonlocal bad, cut
        if whole:
            bad = True
        else:
            cut = True

    i = 0
    while i < RECORDS_MAX and i < ancount:
        start, named = pos, False
        stop = False
        for _ in range(128):
            if pos >= length:
                short()
                stop = True
                break
            c = p[pos]
            if c == 0:
                pos += 1
                named = True
                break
            if c & 0xC0 == 0xC0:
                if pos + 2 > length:
                    short()
                    stop = True
                    break
                to = (c & 0x3F) << 8 | p[pos + 1]
                if to < 12 or to >= start:
                    break
                pos += 2
                named = True
                break
            if c > 63:
                break
            pos += c + 1
        if stop:
            break
        if not named:
            bad = True
            break
        if pos + 10 > length:
            short()
            break
        rtype, rclass = u16(p, pos), u16(p, pos + 2)
        ttl = struct.unpack(">I", p[pos + 4:pos + 8])[0]
        rdlen = u16(p, pos + 8)
        pos += 10
        if pos + rdlen > length:
            short()
            break
        rdata = p[pos:pos + rdlen]
        pos += rdlen
        i += 1
        if rclass != 1 or rtype not in (1, 28):
            continue
        if rdlen != (4 if rtype == 1 else 16):
            bad = True
            break
        if len(found) >= ANSWERS_MAX:
            cut = True
            i -= 1  # the loop stops here, not after the record
            break
        found.append((socket.inet_ntop(socket.AF_INET if rtype == 1 else socket.AF_INET6, rdata), 2 if rtype == 1 else 10, ttl))
    if i == RECORDS_MAX and ancount > RECORDS_MAX:
        cut = True
    if bad:
        return []
    if not found:
        return [[None, None, None, rcode, cut]]
    return [[a, f, t, rcode, cut] for a, f, t in found]


def main():
    seed, count, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rnd = random.Random(seed)
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(SERVER)
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rows = []
    for qid in range(1, count + 1):
        qname = "q%d.flightrec.test" % qid
        question = name(qname) + struct.pack(">HH", 1, 1)
        client.sendto(struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + question, SERVER)
        _, peer = server.recvfrom(512)
        response = mutate(rnd, make(rnd, qid, question), 12 + len(question))
        server.sendto(response, peer)
        room = rnd.choice([512, 4096, 4096, 100, len(response), 65536])
        got, _ = client.recvfrom(room)
        assert got == response[:room]
        rows += [[qid, qname] + r for r in expected(response, len(response), room)]
    with open(out, "w") as f:
        json.dump({"pid": os.getpid(), "rows": rows}, f)


if __name__ == "__main__":
    main()
