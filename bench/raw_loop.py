"""The floor: the benchmark's workload as a plain ``requests`` loop, no test framework.

``python bench/raw_loop.py COUNT`` with ``API_BASE_URL`` and ``API_TOKEN_STAFF`` set. Sends the
same three requests per case as the generated docs (see ``generate.py``), with the same
extraction and templating, over one ``requests.Session``; exits 1 on the first wrong answer.
"""

from __future__ import annotations

import os
import sys

import requests

RESOURCES = ("orders", "invoices", "bookings", "packages", "vouchers", "payouts", "notes")


def main(count: int) -> int:
    base_url = os.environ["API_BASE_URL"].rstrip("/")
    business_id = os.environ.get("BENCH_BUSINESS_ID", "biz_bench_1")
    auth = {"Authorization": "Bearer " + os.environ["API_TOKEN_STAFF"]}
    with requests.Session() as http:
        for i in range(count):
            resource = RESOURCES[i % len(RESOURCES)]
            n = f"{i:05d}"
            collection = f"/bench/v1/{resource}_{n}"
            response = http.get(
                f"{base_url}/bench/v1/clients",
                params={"business_id": business_id, "per_page": "1"},
                headers=auth,
                timeout=30,
            )
            if response.status_code != 200:
                return 1
            client_id = response.json()["data"]["items"][0]["id"]
            response = http.post(
                f"{base_url}{collection}",
                json={
                    "client_id": client_id,
                    "label": f"bench {resource} {n} for client {client_id}",
                    "quantity": i,
                    "valid_from": "2026-02-08",
                },
                headers=auth,
                timeout=30,
            )
            if response.status_code not in (200, 201):
                return 1
            item_id = response.json()["data"]["items"][0]["id"]
            response = http.get(f"{base_url}{collection}/{item_id}", headers=auth, timeout=30)
            if response.status_code != 200:
                return 1
    print(f"{count} passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
