#!/usr/bin/env python3
"""An independent check of a tracelot ledger, in Python's standard library
only, so that an auditor need not trust tracelot's own `verify`.

It reads the ledger straight from the database file (SQLite) or from CSV
files exported from PostgreSQL with psql (see docs/chain-format.md),
recomputes every transaction's hash from its content and the previous
hash, and every balance from the movements, and prints one JSON line:

  {"ok": true, "transactions": N, "movements": M, "head": "HEX", "problems": []}

Exit status 0 when everything matches, 1 when something does not, 2 on
bad usage. The byte layout it hashes is specified in docs/chain-format.md.

Usage:
  verify-chain.py --sqlite tracelot.db [--expect-head SEQ:HASH]...
  verify-chain.py --csv DIR [--expect-head SEQ:HASH]...
"""
import argparse
import csv
import hashlib
import json
import os
import sqlite3
import struct
import sys
from collections import defaultdict

TRANSACTIONS = """SELECT seq, id, kind, request, occurred_at, recorded_at, user_name, reverses,
  overrides, movement_count, hash FROM transactions ORDER BY seq"""
MOVEMENTS = """SELECT m.tx_seq, m.line, i.sku, lo.code, s.serial, lf.path, lt.path, m.qty, m.occurred_at
  FROM movements m JOIN items i ON i.id = m.item_id
  LEFT JOIN lots lo ON lo.id = m.lot_id AND m.lot_id <> 0
  LEFT JOIN serials s ON s.id = m.serial_id AND m.serial_id <> 0
  JOIN locations lf ON lf.id = m.from_id JOIN locations lt ON lt.id = m.to_id
  ORDER BY m.tx_seq, m.line"""
BALANCES = """SELECT i.sku, lo.code, s.serial, l.path, b.qty FROM balances b
  JOIN items i ON i.id = b.item_id JOIN locations l ON l.id = b.location_id
  LEFT JOIN lots lo ON lo.id = b.lot_id AND b.lot_id <> 0
  LEFT JOIN serials s ON s.id = b.serial_id AND b.serial_id <> 0"""


def field(h, data):
    """A length-prefixed field: 8-byte little-endian length, then the bytes."""
    h.update(struct.pack("<Q", len(data)))
    h.update(data)


def integer(h, value):
    h.update(struct.pack("<q", value))


def optional(h, text):
    if text is None:
        h.update(b"\x00")
    else:
        h.update(b"\x01")
        field(h, text.encode())


def chain_hash(prev, tx, moves):
    h = hashlib.sha256()
    field(h, b"tracelot-chain-v1")
    field(h, prev)
    integer(h, tx["seq"])
    field(h, tx["id"])
    field(h, tx["kind"].encode())
    field(h, tx["request"].encode())
    integer(h, tx["occurred_at"])
    integer(h, tx["recorded_at"])
    field(h, tx["user"].encode())
    if tx["reverses"] is None:
        h.update(b"\x00")
    else:
        h.update(b"\x01")
        integer(h, tx["reverses"])
    field(h, tx["overrides"].encode())
    for m in moves:
        h.update(b"m")
        integer(h, m["line"])
        field(h, m["sku"].encode())
        optional(h, m["lot"])
        optional(h, m["serial"])
        field(h, m["from"].encode())
        field(h, m["to"].encode())
        integer(h, m["qty"])
    return h.digest()


def tx_row(r):
    seq, tid, kind, request, occ, rec, user, reverses, overrides, count, digest = r
    return {"seq": int(seq), "id": bytes(tid), "kind": kind, "request": request, "occurred_at": int(occ),
            "recorded_at": int(rec), "user": user, "reverses": None if reverses in (None, "") else int(reverses),
            "overrides": overrides, "movement_count": int(count), "hash": bytes(digest)}


def move_row(r):
    seq, line, sku, lot, serial, src, dst, qty, occ = r
    blank = lambda v: None if v in (None, "") else v
    return {"seq": int(seq), "line": int(line), "sku": sku, "lot": blank(lot), "serial": blank(serial),
            "from": src, "to": dst, "qty": int(qty), "occurred_at": int(occ)}


def read_sqlite(path):
    c = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    return ([tx_row(r) for r in c.execute(TRANSACTIONS)], [move_row(r) for r in c.execute(MOVEMENTS)],
            list(c.execute(BALANCES)))


def read_csv(folder):
    def rows(name):
        with open(os.path.join(folder, name), newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            next(reader)
            return list(reader)
    txs = []
    for r in rows("transactions.csv"):
        r[1], r[10] = bytes.fromhex(r[1]), bytes.fromhex(r[10])
        txs.append(tx_row(r))
    return txs, [move_row(r) for r in rows("movements.csv")], rows("balances.csv")


def check(txs, moves, balances, expected_heads):
    problems = []
    by_seq = defaultdict(list)
    known = {t["seq"] for t in txs}
    for m in moves:
        if m["seq"] not in known:
            problems.append(f"movement {m['seq']}/{m['line']} belongs to no transaction")
        by_seq[m["seq"]].append(m)
    prev, expected, broken, hashes = b"\x00" * 32, 1, False, {}
    for t in txs:
        own = by_seq.get(t["seq"], [])
        problem = None
        if t["seq"] != expected:
            problem = f"transaction #{t['seq']}: expected #{expected} next; a transaction is missing"
        elif len(own) != t["movement_count"] or any(m["line"] != i for i, m in enumerate(own)):
            problem = f"transaction #{t['seq']}: records {t['movement_count']} movements, the ledger holds {len(own)}"
        elif any(m["occurred_at"] != t["occurred_at"] for m in own):
            problem = f"transaction #{t['seq']}: a movement's occurred_at differs from its transaction's"
        elif chain_hash(prev, t, own) != t["hash"]:
            problem = f"transaction #{t['seq']}: hash mismatch; its content or movements were altered"
        if problem and not broken:
            problems.append(problem)
            broken = True
        hashes[t["seq"]] = t["hash"]
        prev, expected = t["hash"], t["seq"] + 1
    ledger = defaultdict(int)
    for m in moves:
        ledger[(m["sku"], m["lot"], m["serial"], m["to"])] += m["qty"]
        ledger[(m["sku"], m["lot"], m["serial"], m["from"])] -= m["qty"]
    stored = defaultdict(int)
    for sku, lot, serial, path, qty in balances:
        stored[(sku, lot or None, serial or None, path)] += int(qty)
    for key in sorted(set(ledger) | set(stored), key=lambda k: tuple("" if v is None else v for v in k)):
        if ledger[key] != stored[key]:
            problems.append(f"balance of {key} is {stored[key]} but the ledger says {ledger[key]}")
    for head in expected_heads:
        seq_text, _, digest = head.partition(":")
        seq = int(seq_text)
        if seq not in hashes:
            problems.append(f"head #{seq} is gone: the ledger ends before it")
        elif hashes[seq].hex() != digest.strip().lower():
            problems.append(f"head #{seq} was {digest} and is now {hashes[seq].hex()}")
    return {"ok": not problems, "transactions": len(txs), "movements": len(moves), "head": prev.hex(),
            "problems": problems}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--sqlite", help="a tracelot SQLite database file")
    source.add_argument("--csv", help="a folder of transactions.csv, movements.csv, balances.csv exported from PostgreSQL")
    p.add_argument("--expect-head", action="append", default=[], metavar="SEQ:HASH")
    a = p.parse_args()
    data = read_sqlite(a.sqlite) if a.sqlite else read_csv(a.csv)
    report = check(*data, a.expect_head)
    print(json.dumps(report))
    sys.exit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
