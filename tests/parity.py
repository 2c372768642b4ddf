#!/usr/bin/env python3
"""Fails when an operation of openapi.json is missing from any SDK.

Rust: the generated client has a method per operation (snake_case operationId)
and the bindings' operation table lists it. Python: `Client` and `AsyncClient`
have the snake_case method. JavaScript: `Client.prototype` has the camelCase
method in the Node build and in the browser build.
Usage: parity.py PYTHON_WITH_SDK_INSTALLED
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def operations() -> list[str]:
    spec = json.loads((ROOT / "openapi.json").read_text())
    ids = []
    for path_item in spec["paths"].values():
        for method, op in path_item.items():
            if method in {"get", "put", "post", "delete", "patch", "head", "options"}:
                ids.append(op["operationId"])
    return sorted(ids)


def rust_methods() -> set[str]:
    generated = (ROOT / "sdk-rust/src/generated.rs").read_text()
    table = (ROOT / "sdk-rust/src/operations.rs").read_text()
    # Generic parameter lists may nest angle brackets (`<'a, B: Into<reqwest::Body>>`).
    fns = set(re.findall(r"pub async fn (\w+)\s*[<(]", generated))
    return {f for f in fns if f'"{camel(f)}"' in table}


def camel(snake_name: str) -> str:
    head, *rest = snake_name.split("_")
    return head + "".join(p.title() for p in rest)


def python_methods(python: str) -> tuple[set[str], set[str]]:
    code = (
        "import json, mismatch_recruiter as m;"
        "print(json.dumps([dir(m.Client), dir(m.AsyncClient)]))"
    )
    out = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True).stdout
    sync, async_ = json.loads(out)
    return set(sync), set(async_)


def js_methods(entry: str) -> set[str]:
    code = (
        f"const m = await import({json.dumps(entry)});"
        "console.log(JSON.stringify(Object.getOwnPropertyNames(m.Client.prototype)));"
    )
    out = subprocess.run(
        ["node", "--input-type=module", "-e", code],
        check=True, capture_output=True, text=True, cwd=ROOT / "sdk-js",
    ).stdout
    return set(json.loads(out))


def main() -> int:
    python = sys.argv[1] if len(sys.argv) > 1 else sys.executable
    ops = operations()
    rust = rust_methods()
    py_sync, py_async = python_methods(python)
    js_node = js_methods("mismatch-recruiter")
    missing: list[str] = []
    for op in ops:
        s = snake(op)
        for sdk, present in [
            ("Rust", s in rust),
            ("Python Client", s in py_sync),
            ("Python AsyncClient", s in py_async),
            ("JavaScript (Node)", op in js_node),
        ]:
            if not present:
                missing.append(f"{sdk} lacks {op}")
    print(f"{len(ops)} operations in openapi.json checked against Rust, Python (sync, async) and JavaScript")
    for line in missing:
        print("  " + line)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
