"""DATE and DATE_TRUNC on a server without $dateTrunc, without a server.

The planner lowers DATE(ts) and DATE_TRUNC('unit', ts) twice (select.c,
functions.c): to $dateTrunc (MongoDB 5.0), and to $dateToParts and
$dateFromParts (MongoDB 3.6) for servers without it; EXPLAIN shows both
pipelines as a pair of steps. This test takes both pipelines of each unit
the language accepts from EXPLAIN (the bulkql binary, no connection) and
runs their expressions through a small evaluator of the operators they use
($dateTrunc, $let, $dateToParts, $dateFromParts, $subtract, $mod, field
paths, as MongoDB's reference defines them, in UTC), on a set of
timestamps: year and ISO-week boundaries, leap days, dates before 1970,
milliseconds, years 1 and 9999, random ones (fixed seed), null and a
missing field. Both must give the same value for every one. The
evaluator's $dateTrunc is itself checked against BulkQL's own truncation
of constants (bql_date_trunc, which EXPLAIN shows as a {$literal}).

It evaluates expressions only: it is no server, and the live test server
(FerretDB v1.24) has neither operator (test_wire_caps.py asserts that
refusal).

Usage: test_date_parts.py (BULKQL_BIN names the binary)."""
import datetime
import os
import random
import subprocess
import sys
import unittest

import bson.json_util

BIN = os.environ.get("BULKQL_BIN", "build/bulkql")
UNITS = ("year", "quarter", "month", "week", "day", "hour", "minute", "second")
UTC = datetime.timezone.utc
MISSING = object()


def explain(sql):
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    p = subprocess.run([BIN, "--format", "json", "-c", sql], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise AssertionError("%s: %s" % (sql, p.stderr))
    return bson.json_util.loads(p.stdout, json_options=bson.json_util.JSONOptions(tz_aware=True, tzinfo=UTC))


# ---- the evaluator ----

def path(doc, variables, ref):
    if ref.startswith("$$"):
        name, _, rest = ref[2:].partition(".")
        v = variables[name]
    else:
        v, rest = doc, ref[1:]
    for part in rest.split(".") if rest else []:
        if not isinstance(v, dict) or part not in v:
            return MISSING
        v = v[part]
    return v


def nullish(v):
    return v is None or v is MISSING


def date_trunc(d, unit, start_of_week):
    """$dateTrunc in UTC with binSize 1."""
    if unit == "year":
        return d.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "quarter":
        return d.replace(month=(d.month - 1) // 3 * 3 + 1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "month":
        return d.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "week":
        start = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday").index(start_of_week)
        day = d.replace(hour=0, minute=0, second=0, microsecond=0)
        return day - datetime.timedelta(days=(d.weekday() - start) % 7)
    if unit == "day":
        return d.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "hour":
        return d.replace(minute=0, second=0, microsecond=0)
    if unit == "minute":
        return d.replace(second=0, microsecond=0)
    if unit == "second":
        return d.replace(microsecond=0)
    raise ValueError(unit)


def date_to_parts(d, iso):
    if iso:
        y, w, wd = d.isocalendar()
        parts = {"isoWeekYear": y, "isoWeek": w, "isoDayOfWeek": wd}
    else:
        parts = {"year": d.year, "month": d.month, "day": d.day}
    parts.update(hour=d.hour, minute=d.minute, second=d.second, millisecond=d.microsecond // 1000)
    return parts


def date_from_parts(p):
    """$dateFromParts: a nullish part gives null; the parts left out
    default to their first value."""
    if any(nullish(v) for v in p.values()):
        return None
    time = datetime.timedelta(hours=p.get("hour", 0), minutes=p.get("minute", 0), seconds=p.get("second", 0),
                              milliseconds=p.get("millisecond", 0))
    if "isoWeekYear" in p:
        day = datetime.date.fromisocalendar(p["isoWeekYear"], p.get("isoWeek", 1), p.get("isoDayOfWeek", 1))
    else:
        # months and days carry over as MongoDB's do (not needed here: the
        # parts come from a real date)
        day = datetime.date(p["year"], p.get("month", 1), p.get("day", 1))
    return datetime.datetime(day.year, day.month, day.day, tzinfo=UTC) + time


def ev(e, doc, variables):
    if isinstance(e, str) and e.startswith("$"):
        return path(doc, variables, e)
    if isinstance(e, dict) and len(e) == 1:
        (op, arg), = e.items()
        if op == "$literal":
            return arg
        if op == "$dateTrunc":
            d = ev(arg["date"], doc, variables)
            return None if nullish(d) else date_trunc(d, arg["unit"], arg.get("startOfWeek", "sunday"))
        if op == "$let":
            inner = dict(variables)
            inner.update({k: ev(v, doc, variables) for k, v in arg["vars"].items()})
            return ev(arg["in"], doc, inner)
        if op == "$dateToParts":
            d = ev(arg["date"], doc, variables)
            return None if nullish(d) else date_to_parts(d, arg.get("iso8601", False))
        if op == "$dateFromParts":
            return date_from_parts({k: ev(v, doc, variables) for k, v in arg.items()})
        if op in ("$subtract", "$mod"):
            a, b = (ev(x, doc, variables) for x in arg)
            if nullish(a) or nullish(b):
                return None
            return a - b if op == "$subtract" else int(a - b * int(a / b))  # $mod truncates, as C's %
        raise AssertionError("the evaluator has no %s" % op)
    if isinstance(e, dict):
        return {k: ev(v, doc, variables) for k, v in e.items()}
    return e


# ---- the cases ----

def timestamps():
    fixed = ["2024-01-01T00:00:00.000", "2023-12-31T23:59:59.999", "2024-02-29T12:34:56.789",
             "2020-12-31T10:00:00", "2021-01-03T23:00:00", "2021-01-04T00:00:00", "2024-12-30T05:00:00",
             "2026-12-07T01:23:45.678", "2015-12-31T00:00:00", "2016-01-01T00:00:00", "2009-12-31T00:00:00",
             "2010-01-03T12:00:00", "1970-01-01T00:00:00", "1969-12-31T23:59:59.999", "1900-03-01T08:00:00",
             "1600-02-29T00:00:00.001", "0001-01-01T00:00:00", "0001-01-07T23:59:59.999",
             "9999-12-31T23:59:59.999", "2024-04-01T00:00:00", "2024-03-31T23:59:59.999", "2024-07-15T00:00:00",
             "2024-10-01T00:00:01", "2024-09-30T23:59:59.999"]
    out = [datetime.datetime.fromisoformat(t).replace(tzinfo=UTC) for t in fixed]
    rnd = random.Random(17)
    lo = datetime.datetime(1, 1, 8, tzinfo=UTC)
    span = (datetime.datetime(9999, 12, 24, tzinfo=UTC) - lo).total_seconds()
    for _ in range(3000):
        out.append(lo + datetime.timedelta(milliseconds=int(rnd.random() * span * 1000)))
    return out


class DateTruncParityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cols = ", ".join("DATE_TRUNC('%s', ts) AS %s" % (u, u) for u in UNITS)
        plan = explain("EXPLAIN BULK INSERT INTO s SELECT %s, DATE(ts) AS date FROM ev WITH (server_side = false);"
                       % cols)
        aggs = [s for s in plan["steps"] if "aggregate" in s["command"]]
        assert len(aggs) == 2, [s["step"] for s in plan["steps"]]
        cls.trunc, cls.parts = (a["command"]["pipeline"] for a in aggs)
        cls.row = plan["source"]["row"]

    def columns(self, pipeline):
        """{column: expression} of the pipeline's one $project stage."""
        [stage] = pipeline
        project = stage["$project"]
        return {col: project[ref[1:]] for col, ref in self.row.items()}

    def test_the_pair_lowers_with_and_without_date_trunc(self):
        trunc, parts = self.columns(self.trunc), self.columns(self.parts)
        self.assertEqual(sorted(trunc), sorted(UNITS + ("date",)))
        for col in trunc:
            self.assertEqual(list(trunc[col]), ["$dateTrunc"], col)
            self.assertEqual(list(parts[col]), ["$let"], col)
        self.assertEqual(trunc["week"]["$dateTrunc"]["startOfWeek"], "monday")
        self.assertEqual(trunc["date"]["$dateTrunc"]["unit"], "day")

    def test_both_give_the_same_value_for_every_unit(self):
        trunc, parts = self.columns(self.trunc), self.columns(self.parts)
        docs = [{"ts": t} for t in timestamps()] + [{"ts": None}, {}]
        for col in trunc:
            for doc in docs:
                want, got = ev(trunc[col], doc, {}), ev(parts[col], doc, {})
                if want is MISSING:
                    want = None
                self.assertEqual(got, want, "%s of %r" % (col, doc))
        # and the truncation is one: the week of 2021-01-03 (a Sunday, in
        # ISO week 53 of 2020) starts on Monday 2020-12-28
        sunday = {"ts": datetime.datetime(2021, 1, 3, 23, tzinfo=UTC)}
        self.assertEqual(ev(parts["week"], sunday, {}), datetime.datetime(2020, 12, 28, tzinfo=UTC))
        self.assertEqual(ev(parts["quarter"], {"ts": datetime.datetime(2024, 12, 31, tzinfo=UTC)}, {}),
                         datetime.datetime(2024, 10, 1, tzinfo=UTC))

    def test_the_evaluators_date_trunc_is_bulkqls(self):
        # BulkQL truncates constants itself (datetime.c, "as $dateTrunc
        # does"): the evaluator's $dateTrunc must agree with it
        sample = timestamps()[:24] + timestamps()[24:60]
        for unit in UNITS:
            cols = ", ".join("DATE_TRUNC('%s', TIMESTAMP '%s') AS c%d"
                             % (unit, t.isoformat(timespec="milliseconds").replace("+00:00", "Z"), i)
                             for i, t in enumerate(sample))
            plan = explain("EXPLAIN BULK INSERT INTO s SELECT %s FROM ev;" % cols)
            row = plan["source"]["row"]
            for i, t in enumerate(sample):
                want = date_trunc(t, unit, "monday")
                self.assertEqual(row["c%d" % i], {"$literal": want}, "%s of %s" % (unit, t))


if __name__ == "__main__":
    unittest.main()
