#!/usr/bin/python3
"""CommandDigest (core/kv/command.cc) written apart, in Python, to pin its
values in tests/core/kv_test.cc (KvCommand.DigestIsPinned): the digest is kept
in replicated sessions and snapshots, so every machine must compute the same.

Run: python3 tests/core/kv_digest_reference.py"""

M = 2**64


def word(h, w):
    w = (w * 0x9e3779b97f4a7c15) % M
    w ^= w >> 32
    h ^= w
    h = (((h << 31) | (h >> 33)) % M * 0xbf58476d1ce4e5b9) % M
    return h


def bts(h, s):
    h = word(h, len(s))
    for i in range(0, len(s), 8):
        h = word(h, int.from_bytes(s[i:i + 8], 'little'))
    return h


def final(z):
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) % M
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) % M
    return z ^ (z >> 31)


def digest(op, cid, seq, key, value, expected=b"", absent=False):
    h = 0x6b76646967657374
    h = word(h, 1 | op << 8 | int(absent) << 16)
    h = word(h, cid)
    h = word(h, seq)
    h = bts(h, key)
    h = bts(h, value)
    h = bts(h, expected)
    d = final(h)
    return d or 1


if __name__ == "__main__":
    print(hex(digest(1, 7, 9, b"k", b"v")))  # Put("k", "v", 7, 9)
    # The CompareAndSwap: words whole and partial, expect_absent set.
    print(hex(digest(3, M - 1, 1, b"a key of 16 byte", b"0123456789abcdefghij",
                     b"x" * 9, True)))
