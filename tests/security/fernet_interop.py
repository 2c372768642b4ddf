"""Fernet tokens made by the server's keyring (core::security::fernet) and by
Python's cryptography.fernet open on the other side, both ways, including a
token made under the second key of a ring and a data key wrapped under the
ring (envelope encryption); wrong keys and altered tokens are refused.

Drives core/examples/fernet_interop.rs (path in MISMATCH_FERNET_INTEROP_BIN,
else run through cargo)."""

import base64
import hashlib
import json
import os
import subprocess
import sys
import time

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def rust(mode, request):
    binary = os.environ.get("MISMATCH_FERNET_INTEROP_BIN")
    command = [binary] if binary else [
        "cargo", "run", "--quiet", "-p", "mismatch-core", "--example", "fernet_interop", "--"]
    out = subprocess.run(command + [mode], input=json.dumps(request), capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def fails(f, token):
    try:
        f.decrypt(token)
    except InvalidToken:
        return True
    return False


def main():
    k1, k2, stranger = (Fernet.generate_key() for _ in range(3))
    ring = f"{k1.decode()},{k2.decode()}"
    messages = [b"jane.doe@example.com", b"", "Zo\u00eb \u00dcnicode, Z\u00fcrich".encode(),
                os.urandom(1000), b"x" * 16, bytes(range(256))]
    checks = 0

    # Rust -> Python: tokens under the ring's first key.
    out = rust("encrypt", {"keys": ring, "plaintexts_hex": [m.hex() for m in messages]})
    expected_id = hashlib.sha256(base64.urlsafe_b64decode(k1)).digest()[:8].hex()
    assert out["key_id"] == expected_id, (out["key_id"], expected_id)
    for token, message in zip(out["tokens"], messages):
        assert Fernet(k1).decrypt(token.encode()) == message
        assert MultiFernet([Fernet(k2), Fernet(k1)]).decrypt(token.encode()) == message
        assert fails(Fernet(k2), token.encode()), "the second key must not open it"
        checks += 3
    # Envelope: the wrapped data key opens with stock Python, and opens the field.
    data_key = Fernet(k1).decrypt(out["envelope"]["wrapped_key"].encode())
    assert len(data_key) == 32
    field = Fernet(base64.urlsafe_b64encode(data_key)).decrypt(out["envelope"]["field"].encode())
    assert field == messages[0]
    checks += 1

    # Python -> Rust: tokens under the first key, the second key, and a
    # MultiFernet; one from a clock ten minutes ahead.
    tokens = [Fernet(k1).encrypt(m).decode() for m in messages]
    tokens += [Fernet(k2).encrypt(m).decode() for m in messages]
    tokens += [MultiFernet([Fernet(k2), Fernet(k1)]).encrypt(m).decode() for m in messages]
    tokens.append(Fernet(k1).encrypt_at_time(b"ahead", int(time.time()) + 600).decode())
    wanted = messages * 3 + [b"ahead"]
    # Refused: a stranger's key, an altered token, garbage.
    bad = Fernet(stranger).encrypt(b"not yours").decode()
    raw = bytearray(base64.urlsafe_b64decode(tokens[0]))
    raw[-1] ^= 1
    altered = base64.urlsafe_b64encode(bytes(raw)).decode()
    answer = rust("decrypt", {"keys": ring, "tokens": tokens + [bad, altered, "gAAAAA"]})
    opened = answer["plaintexts_hex"]
    for got, message in zip(opened, wanted):
        assert got is not None and bytes.fromhex(got) == message
        checks += 1
    assert opened[len(wanted):] == [None, None, None], opened[len(wanted):]
    checks += 3

    # A ring given in Python's own padded text and without padding is the same ring.
    unpadded = f"{k2.decode().rstrip('=')},{k1.decode().rstrip('=')}"
    answer = rust("decrypt", {"keys": unpadded, "tokens": tokens[:1]})
    assert bytes.fromhex(answer["plaintexts_hex"][0]) == messages[0]
    checks += 1

    print(f"fernet interop: {checks} checks passed (Rust -> Python and Python -> Rust)")


if __name__ == "__main__":
    sys.exit(main())
