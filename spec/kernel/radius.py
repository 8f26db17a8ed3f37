#!/usr/bin/env python3
"""A RADIUS server for the interop matrix's l2tpns cells: l2tpns hands
every PPP login to RADIUS and has no other way to accept one. Answers
every Access-Request with an Access-Accept carrying Framed-IP-Address
(RFC 2865), every Accounting-Request with a response (RFC 2866).

    radius.py SECRET BIND_ADDRESS FRAMED_IP
"""
import hashlib
import select
import socket
import struct
import sys

secret, bind, framed_ip = sys.argv[1].encode(), sys.argv[2], sys.argv[3]
socks = []
for port in (1812, 1813):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((bind, port))
    socks.append(s)
print("radius: listening", flush=True)
while True:
    for s in select.select(socks, [], [])[0]:
        req, peer = s.recvfrom(4096)
        if len(req) < 20:
            continue
        code, ident = req[0], req[1]
        if code == 1:  # Access-Request -> Access-Accept
            reply, attrs = 2, bytes([8, 6]) + socket.inet_aton(framed_ip)
        elif code == 4:  # Accounting-Request -> Accounting-Response
            reply, attrs = 5, b""
        else:
            continue
        head = struct.pack("!BBH", reply, ident, 20 + len(attrs))
        # Response Authenticator: MD5(Code+ID+Length+RequestAuth+Attributes+Secret)
        auth = hashlib.md5(head + req[4:20] + attrs + secret).digest()
        s.sendto(head + auth + attrs, peer)
        print("radius: %d from %s answered %d" % (code, peer[0], reply), flush=True)
