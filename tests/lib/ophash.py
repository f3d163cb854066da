"""The hashes and ids BulkQL writes in an operation's document (README,
"Operations and resume"), computed the same way for the tests to compare:
FNV-1a 64 (src/common/hash.h) of a statement's text (statementHash), of a
file's first MiB (source.headHash) and of an operation id, and the
ObjectId a row without _id gets. One copy for every test that needs
them (tests/unit/test_ophash.py checks it against the published values
and the C unit test's)."""
import bson

FNV_OFFSET = 0xcbf29ce484222325
FNV_PRIME = 0x100000001b3


def fnv1a64(data):
    """FNV-1a 64 of the bytes data, as an int."""
    h = FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def fnv1a64_hex(data):
    """fnv1a64(data) as the operation's document writes it: 16 hex digits."""
    return "%016x" % fnv1a64(data)


def row_oid(operation_id, row):
    """The _id of row `row` (1-based) of operation operation_id (24 hex
    digits) when the row has none: the operation id's 4 timestamp bytes,
    the low 24 bits of FNV-1a 64 of its 12 bytes, the row number in 5
    bytes, big-endian."""
    op = bytes.fromhex(operation_id)
    return bson.ObjectId(op[:4] + (fnv1a64(op) & 0xFFFFFF).to_bytes(3, "big") + row.to_bytes(5, "big"))
