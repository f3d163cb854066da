#!/usr/bin/env python3
"""The tests' one copy of FNV-1a 64 and of the ObjectId of a row without
_id (tests/lib/ophash.py): the published FNV-1a 64 values, and the same
values as the C unit test (tests/unit/test_operation.c) gets from
src/common/hash.h."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ophash  # noqa: E402


class OpHashTest(unittest.TestCase):
    def test_published_values(self):
        self.assertEqual(ophash.fnv1a64(b""), 0xcbf29ce484222325)
        self.assertEqual(ophash.fnv1a64(b"a"), 0xaf63dc4c8601ec8c)
        self.assertEqual(ophash.fnv1a64(b"foobar"), 0x85944171f73967e8)
        self.assertEqual(ophash.fnv1a64_hex(b"a"), "af63dc4c8601ec8c")
        self.assertEqual(ophash.fnv1a64_hex(b""), "cbf29ce484222325")

    def test_row_oid_as_the_c_code(self):
        op = bytes(range(12)).hex()
        self.assertEqual(ophash.fnv1a64(bytes(range(12))) & 0xFFFFFF, 0x6d7fb9)
        self.assertEqual(str(ophash.row_oid(op, 0x0102030405)), "000102036d7fb90102030405")
        self.assertEqual(str(ophash.row_oid(op, 1)), "000102036d7fb90000000001")


if __name__ == "__main__":
    unittest.main(verbosity=2)
