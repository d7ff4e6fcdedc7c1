"""The cost of sealing a call's state into its action URL and opening it again, per step, in
microseconds: the token of ivr/flows/token.py (itsdangerous' Signer over compact JSON) against
itsdangerous' URLSafeSerializer (which also tries zlib), measured in the same run.

    .venv/bin/python bench/seal.py
"""

from __future__ import annotations

import hashlib
import json
import timeit

from itsdangerous import URLSafeSerializer

from ivr.flows.call import CallState
from ivr.flows.token import Sealer

STATE = CallState(version="v7", lang="fr", seq=3, node="menu",
                  vars={"company": "ACME", "client": "1001"}, tries={"identify": 1})
ROUNDS = 20000


def best(run) -> float:
    return min(timeit.repeat(run, number=ROUNDS, repeat=7)) / ROUNDS * 1e6


def main() -> None:
    sealer = Sealer("x" * 32)
    token = sealer.seal(STATE)
    assert token is not None
    serializer = URLSafeSerializer("x" * 32, salt="ivr call state",
                                   signer_kwargs={"digest_method": hashlib.sha256})
    data = {k: v for k, v in vars(STATE).items() if v}
    other = serializer.dumps(data)
    figures = {
        "ours": {"seal_us": best(lambda: sealer.seal(STATE)),
                 "open_us": best(lambda: sealer.open(token, "v7", "menu", "3")),
                 "token_chars": len(token)},
        "url_safe_serializer": {"seal_us": best(lambda: serializer.dumps(data)),
                                "open_us": best(lambda: serializer.loads(other)),
                                "token_chars": len(other)},
    }
    print(json.dumps({k: {n: round(v, 1) for n, v in f.items()} for k, f in figures.items()}))


if __name__ == "__main__":
    main()
