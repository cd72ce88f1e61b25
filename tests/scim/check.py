"""Runs scim2-tester's compliance checks against one tenant's SCIM endpoint.

Usage: check.py BASE_URL TOKEN. Prints one line per check and a cargo-style summary; exits
non-zero when any check fails (errors; skipped checks are listed but do not fail the run).
"""
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def main() -> int:
    base, token = sys.argv[1], sys.argv[2]
    http = Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    client = SyncSCIMClient(http)
    results = check_server(client)
    passed = failed = skipped = 0
    for r in results:
        name = getattr(r, "title", None) or getattr(r, "name", None) or "check"
        status = r.status
        if status == Status.SUCCESS:
            passed += 1
            mark = "ok"
        elif status in (Status.ERROR, getattr(Status, "CRITICAL", Status.ERROR)):
            failed += 1
            mark = "FAILED"
        else:
            skipped += 1
            mark = str(status.name).lower()
        line = f"scim {name} ... {mark}"
        if mark != "ok" and r.reason:
            line += f": {r.reason}"
        print(line)
    outcome = "ok" if failed == 0 else "FAILED"
    print(f"test result: {outcome}. {passed} passed; {failed} failed; {skipped} ignored; 0 measured; 0 filtered out")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
