"""Runs the seed's own create_access_token and parse_jwt_token.

    SEED_SECRET=... python3 harness.py create '{"sub": "42"}'   -> prints the token
    SEED_SECRET=... python3 harness.py parse TOKEN              -> prints a JSON verdict

The seed module is loaded unchanged, then its SECRET_KEY is replaced by
SEED_SECRET. FastAPI is only needed for HTTPException and status, so a
minimal stand-in is installed when FastAPI itself is absent.
"""

import contextlib
import io
import json
import os
import sys
import types

try:
    import fastapi  # noqa: F401
except ImportError:
    stand_in = types.ModuleType("fastapi")

    class HTTPException(Exception):
        def __init__(self, status_code, detail=None, headers=None):
            super().__init__(status_code, detail)
            self.status_code = status_code
            self.detail = detail
            self.headers = headers

    stand_in.HTTPException = HTTPException
    stand_in.status = types.SimpleNamespace(HTTP_401_UNAUTHORIZED=401)
    sys.modules["fastapi"] = stand_in

from fastapi import HTTPException  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jwt_process as seed  # noqa: E402

seed.SECRET_KEY = os.environ["SEED_SECRET"]


def main(command, argument):
    if command == "create":
        print(seed.create_access_token(json.loads(argument)))
        return
    # The seed prints the token and its errors; keep them out of the verdict.
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            verdict = {"ok": True, "user_id": seed.parse_jwt_token(argument)}
        except HTTPException as error:
            verdict = {"ok": False, "status": error.status_code, "detail": error.detail}
        except Exception as error:  # what FastAPI would answer with a 500
            verdict = {"ok": False, "status": 500, "crash": type(error).__name__}
    print(json.dumps(verdict))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
