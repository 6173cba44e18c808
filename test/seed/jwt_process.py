# The seed's security/jwt_process.py: its code blocks, verbatim and in order,
# from ../shared/seed/000_f6019d2ef59de367.txt. test/seed/harness.py runs it
# with a secret of the test's choosing; seed.spec checks it still matches.

from datetime import datetime, timedelta, timezone
from typing import Union

import jwt
import time
from fastapi import HTTPException, status
from jwt.exceptions import InvalidTokenError, ExpiredSignatureError

SECRET_KEY = "c2ey7mPHmM21BrduVUvvJGMLSDTCfnBnaJEyTnigQP2TYgYQEgLVq2i55WuEhCcP"
ALGORITHM = "HS256"
ACCESS_TOKEN_EXPIRE_MINUTES = 60*24

def create_access_token(data: dict):
    to_encode = data.copy()
    expire = datetime.now() + timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES)
    to_encode["exp"] = expire

    encoded_jwt = jwt.encode(to_encode, SECRET_KEY, algorithm=ALGORITHM)

    return encoded_jwt

def parse_jwt_token(token: str):
    print(token)
    credentials_exception = HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": "Bearer"},
    )
    try:
        payload = jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM])
        user_id = int(payload.get("sub"))
    except InvalidTokenError as e:
        print(e)
        raise credentials_exception

    if user_id is None:
        raise credentials_exception

    return user_id
