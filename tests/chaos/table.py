#!/usr/bin/env python3
"""The reliability table, from the chaos suite's records (one JSON line per check and variant,
written by confab_tests::reliability and tests/chaos/schemathesis.sh).

  table.py RESULTS.jsonl                 prints the markdown table
  table.py RESULTS.jsonl --check README  exits 1 when README's table differs (prints the diff)
  table.py RESULTS.jsonl --write README  replaces README's table
The table sits between `<!-- reliability:begin -->` and `<!-- reliability:end -->`.
"""
import difflib
import json
import sys

BEGIN, END = "<!-- reliability:begin -->", "<!-- reliability:end -->"


BACKEND_ORDER = {"PostgreSQL": 0, "SQLite": 1}


def cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def table(path):
    rows = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        row = rows.setdefault(r["id"], {"r": r, "passed": [], "failed": []})
        row["r"] = r
        target = row["passed"] if r["passed"] else row["failed"]
        if r["variant"] not in target:
            target.append(r["variant"])
    out = [
        "| # | Fault | Expected behaviour | Tested how | Last result |",
        "|---|---|---|---|---|",
    ]
    for key in sorted(rows, key=lambda k: [int(p) for p in k.split(".")]):
        row = rows[key]
        r = row["r"]
        # A variant that failed once in the run counts as failed.
        passed = [v for v in row["passed"] if v not in row["failed"]]
        # Tests finish in any order: the two backends are always listed PostgreSQL first (a
        # stable sort, so other variants keep the order they were recorded in).
        passed.sort(key=lambda v: BACKEND_ORDER.get(v, len(BACKEND_ORDER)))
        row["failed"].sort(key=lambda v: BACKEND_ORDER.get(v, len(BACKEND_ORDER)))
        results = []
        if row["failed"]:
            results.append("**FAILED** (" + ", ".join(row["failed"]) + ")")
        if passed:
            shown = [v for v in passed if v != "—"]
            results.append("pass" + (" (" + ", ".join(shown) + ")" if shown else ""))
        out.append(
            f"| {key} | {cell(r['fault'])} | {cell(r['expected'])} | {cell(r['how'])} | {'; '.join(results)} |"
        )
    return "\n".join(out) + "\n", any(row["failed"] for row in rows.values())


def readme_table(readme):
    text = open(readme, encoding="utf-8").read()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text, start, end


def main():
    results = sys.argv[1]
    md, failed = table(results)
    if len(sys.argv) == 2:
        sys.stdout.write(md)
        return 1 if failed else 0
    mode, readme = sys.argv[2], sys.argv[3]
    text, start, end = readme_table(readme)
    current = text[start:end].strip("\n") + "\n"
    if mode == "--write":
        open(readme, "w", encoding="utf-8").write(text[:start] + "\n" + md + text[end:])
        return 0
    if current != md:
        sys.stdout.writelines(
            difflib.unified_diff(current.splitlines(True), md.splitlines(True), "README.md", "this run")
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
