"""The Python interpreter of the end-to-end scenario written as data.

``tests/scenario/recruiting.json`` holds the steps, ``tests/scenario/README.md``
their format and matcher language. This module resolves references, checks
matchers, turns each step into a call of the SDK's typed methods and checks
its outcome; the runners (test_e2e.py for ``Client``, test_e2e_async.py for
``AsyncClient``) only make the call, blocking or awaited.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import inspect
import json
import re
import struct
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mismatch_recruiter as mm

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_DIR = ROOT / "tests" / "scenario"
RECRUITING = SCENARIO_DIR / "recruiting.json"
MATCHER_CASES = SCENARIO_DIR / "matchers.json"
TOTP_CASES = SCENARIO_DIR / "totp.json"

# How much of an actual value a failure message shows.
SHOWN_CHARS = 1500


class ScenarioError(Exception):
    """The scenario itself is wrong: an unknown reference, operator or parameter."""


class StepFailed(AssertionError):
    """A step's outcome is not the one the scenario expects."""


class _Missing:
    """An absent key, which only ``{"$null": true}`` and ``$not`` forms match."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """The value as JSON for a failure message, truncated to ``limit`` characters."""
    if value is MISSING:
        return "<missing>"
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


# --- references ------------------------------------------------------------------

_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_REFERENCE_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*((\.[A-Za-z_][A-Za-z0-9_]*)|\[[0-9]+\])*")
_REFERENCE_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[([0-9]+)\]")


def lookup(reference: str, names: Mapping[str, Any]) -> Any:
    """The value ``name.field[0].sub`` names; an unknown name or a missing field is an error."""
    if not _REFERENCE_PATH.fullmatch(reference):
        raise ScenarioError(f"malformed reference ${{{reference}}}")
    name = re.match(r"[A-Za-z_][A-Za-z0-9_]*", reference)
    assert name is not None
    if name.group() not in names:
        raise ScenarioError(f"${{{reference}}}: no value is named {name.group()!r}")
    value = names[name.group()]
    for part in _REFERENCE_PART.finditer(reference, name.end()):
        key, index = part.group(1), part.group(2)
        if key is not None:
            if not isinstance(value, dict) or key not in value:
                raise ScenarioError(f"${{{reference}}}: no field {key!r} in {shown(value, 200)}")
            value = value[key]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                raise ScenarioError(f"${{{reference}}}: no element [{index}] in {shown(value, 200)}")
            value = value[int(index)]
    return value


def _text(value: Any) -> str:
    """A value as it reads inside a longer string: strings as they are, numbers as JSON numbers."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        # 7.0 reads "7", as in the JavaScript runners.
        return str(int(value))
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def resolve(template: Any, names: Mapping[str, Any]) -> Any:
    """``template`` with every reference replaced (in strings at any depth)."""
    if isinstance(template, str):
        whole = _REFERENCE.fullmatch(template)
        if whole:
            return lookup(whole.group(1), names)
        return _REFERENCE.sub(lambda m: _text(lookup(m.group(1), names)), template)
    if isinstance(template, list):
        return [resolve(item, names) for item in template]
    if isinstance(template, dict):
        return {key: resolve(item, names) for key, item in template.items()}
    return template


# --- matchers --------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(value: Any, expected: Any) -> bool:
    """JSON equality: numbers by value, but a boolean is never a number."""
    if _is_number(expected):
        return _is_number(value) and value == expected
    if isinstance(expected, bool) or expected is None:
        return value is expected
    return type(value) is type(expected) and value == expected


_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "number": _is_number,
    "integer": lambda v: _is_number(v) and float(v).is_integer(),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}

_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}

# Operators whose argument is itself a matcher.
_NESTED = ("$len", "$each", "$some", "$none", "$first", "$not")


def validate(matcher: Any, path: str = "$") -> None:
    """Raises ScenarioError for an unknown operator or a malformed argument, so a
    scenario error shows even where matching would not reach it."""
    if isinstance(matcher, list):
        for i, item in enumerate(matcher):
            validate(item, f"{path}[{i}]")
        return
    if not isinstance(matcher, dict):
        return
    operators = [key for key in matcher if key.startswith("$")]
    if not operators:
        for key, item in matcher.items():
            validate(item, f"{path}.{key}")
        return
    if len(operators) != len(matcher):
        raise ScenarioError(f"{path}: an object mixes operators and keys: {shown(matcher, 200)}")

    def bad(op: str, what: str) -> ScenarioError:
        return ScenarioError(f"{path}.{op}: expects {what}, got {shown(matcher[op], 200)}")

    for op, arg in matcher.items():
        if op == "$type":
            if arg not in _TYPES:
                raise bad(op, f"one of {', '.join(_TYPES)}")
        elif op == "$regex":
            if not isinstance(arg, str):
                raise bad(op, "a pattern")
            try:
                re.compile(arg)
            except re.error as err:
                raise bad(op, f"a valid pattern ({err})") from err
        elif op in _COMPARISONS:
            if not _is_number(arg):
                raise bad(op, "a number")
        elif op in _NESTED:
            validate(arg, f"{path}.{op}")
        elif op == "$filter":
            if not (isinstance(arg, list) and len(arg) == 2):
                raise bad(op, "[where, matcher]")
            validate(arg, f"{path}.{op}")
        elif op == "$sum":
            if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
                raise bad(op, "[key, matcher]")
            validate(arg[1], f"{path}.{op}[1]")
        elif op == "$before":
            if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
                raise bad(op, "[key, first, second]")
        elif op == "$null":
            if not isinstance(arg, bool):
                raise bad(op, "true or false")
        elif op == "$any":
            if not isinstance(arg, list):
                raise bad(op, "an array of matchers")
            validate(arg, f"{path}.{op}")
        else:
            raise ScenarioError(f"{path}: unknown operator {op}")


@dataclass(frozen=True)
class Mismatch:
    """Where a matcher failed: its path, the matcher there and the value it saw."""

    path: str
    matcher: Any
    value: Any

    def __str__(self) -> str:
        return f"at {self.path}: matcher {shown(self.matcher, 300)}, actual {shown(self.value, 300)}"


def check(value: Any, matcher: Any, path: str = "$") -> Mismatch | None:
    """None when ``value`` matches ``matcher`` (a validated, resolved matcher),
    otherwise the innermost place that failed. ``value`` may be MISSING."""
    here = Mismatch(path, matcher, value)
    if isinstance(matcher, list):
        if not isinstance(value, list) or len(value) != len(matcher):
            return here
        for i, (item, expected) in enumerate(zip(value, matcher)):
            failed = check(item, expected, f"{path}[{i}]")
            if failed:
                return failed
        return None
    if not isinstance(matcher, dict):
        return None if value is not MISSING and _equal(value, matcher) else here
    if not any(key.startswith("$") for key in matcher):
        if not isinstance(value, dict):
            return here
        for key, expected in matcher.items():
            failed = check(value.get(key, MISSING), expected, f"{path}.{key}")
            if failed:
                return failed
        return None
    for op, arg in matcher.items():
        failed = _check_operator(value, op, arg, f"{path}.{op}")
        if failed:
            return failed
    return None


def _check_operator(value: Any, op: str, arg: Any, path: str) -> Mismatch | None:
    here = Mismatch(path, arg, value)
    if op == "$null":
        absent = value is MISSING or value is None
        return None if absent == arg else here
    if op == "$not":
        return here if check(value, arg, path) is None else None
    if op == "$any":
        return None if any(check(value, m, f"{path}[{i}]") is None for i, m in enumerate(arg)) else here
    if value is MISSING:
        return here
    if op == "$type":
        return None if _TYPES[arg](value) else here
    if op == "$regex":
        return None if isinstance(value, str) and re.search(arg, value) else here
    if op in _COMPARISONS:
        return None if _is_number(value) and _COMPARISONS[op](value, arg) else here
    if op == "$len":
        return check(len(value), arg, path) if isinstance(value, (list, str)) else here
    if not isinstance(value, list):
        return here
    if op == "$each":
        for i, item in enumerate(value):
            failed = check(item, arg, f"{path}[{i}]")
            if failed:
                return failed
        return None
    if op == "$some":
        return None if any(check(item, arg) is None for item in value) else here
    if op == "$none":
        return here if any(check(item, arg) is None for item in value) else None
    if op == "$first":
        return check(value[0], arg, path) if value else here
    if op == "$filter":
        where, then = arg
        return check([item for item in value if check(item, where) is None], then, path)
    if not all(isinstance(item, dict) for item in value):
        return here
    if op == "$sum":
        key, then = arg
        numbers = [item.get(key) for item in value]
        if not all(_is_number(n) for n in numbers):
            return here
        return check(sum(numbers), then, path)
    if op == "$before":
        key, first, second = arg
        keys = [item.get(key, MISSING) for item in value]
        at = next((i for i, k in enumerate(keys) if _equal(k, first)), None)
        if at is None or any(_equal(k, second) for k in keys[:at]):
            return here
        return None
    raise ScenarioError(f"{path}: unknown operator {op}")  # validate() stops these first


def first_mismatch(value: Any, matcher: Any, names: Mapping[str, Any]) -> Mismatch | None:
    """Resolves ``matcher``'s references, validates it and checks ``value``."""
    resolved = resolve(matcher, names)
    validate(resolved)
    return check(value, resolved)


# --- the totp action ----------------------------------------------------------------

_BASE32 = re.compile(r"[A-Z2-7]+=*")


def totp_code(secret: Any, now: int, offset_steps: Any = 0, digits: Any = 6) -> str:
    """The RFC 6238 code (HMAC-SHA-1, 30-second steps) of a base32 ``secret``
    when the clock reads ``now`` (Unix seconds) moved by ``offset_steps`` steps."""
    if not isinstance(secret, str) or not _BASE32.fullmatch(secret.upper()):
        raise ScenarioError(f"totp: the secret must be base32, not {shown(secret, 100)}")
    if not isinstance(offset_steps, int) or isinstance(offset_steps, bool):
        raise ScenarioError(f"totp: offset_steps must be an integer, not {shown(offset_steps, 100)}")
    if not isinstance(digits, int) or isinstance(digits, bool) or digits not in (6, 7, 8):
        raise ScenarioError(f"totp: digits is 6, 7 or 8, not {shown(digits, 100)}")
    unpadded = secret.upper().rstrip("=")
    try:
        key = base64.b32decode(unpadded + "=" * (-len(unpadded) % 8))
    except binascii.Error as err:
        raise ScenarioError(f"totp: the secret is not base32 ({err})") from err
    counter = now // 30 + offset_steps
    if counter < 0:
        raise ScenarioError(f"totp: no step before the Unix epoch ({now} s, {offset_steps} steps)")
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    start = mac[-1] & 0x0F
    binary = struct.unpack(">I", mac[start : start + 4])[0] & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def totp_step(spec: Mapping[str, Any], names: Mapping[str, Any], now: int) -> str:
    """What a ``totp`` step gives at ``now``, its references resolved."""
    return totp_code(
        resolve(spec["totp"], names),
        now,
        resolve(spec.get("offset_steps", 0), names),
        resolve(spec.get("digits", 6), names),
    )


# --- the SDK's side: results and errors as JSON ---------------------------------------

# The README's error kinds, as the Rust SDK's ErrorKind::as_str names them.
ERROR_KINDS: dict[type[mm.MismatchError], str] = {
    mm.BadRequestError: "bad_request",
    mm.AuthenticationError: "authentication",
    mm.PermissionDeniedError: "permission",
    mm.NotFoundError: "not_found",
    mm.ConflictError: "conflict",
    mm.ValidationError: "validation",
    mm.RateLimitError: "rate_limited",
    mm.ServerError: "server",
    mm.APITimeoutError: "timeout",
    mm.APIConnectionError: "connection",
    mm.InvalidArgumentError: "invalid_argument",
    mm.ResponseDecodeError: "decode",
}


def error_facts(err: mm.MismatchError) -> dict[str, Any]:
    """What the scenario's ``error`` matchers see of an SDK exception."""
    kind = next((ERROR_KINDS[cls] for cls in type(err).__mro__ if cls in ERROR_KINDS), type(err).__name__)
    return {
        "kind": kind,
        "status": err.status,
        "code": err.code,
        "request_id": err.request_id,
        "attempts": err.attempts,
        "fields": [e.field for e in err.errors] if isinstance(err, mm.ValidationError) else [],
    }


def to_json(result: Any) -> Any:
    """A method's result as JSON: models through ``to_dict()``, lists item by item."""
    if isinstance(result, list):
        return [to_json(item) for item in result]
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        as_dict: Any = getattr(result, "to_dict")()
        return as_dict
    return result


# --- steps -----------------------------------------------------------------------------

ACTIONS = ("client", "call", "paginate", "proxy_stats", "totp")
_STEP_KEYS = {
    "client": {"api_key", "base_url", "max_retries"},
    "call": {
        "as", "path", "query", "headers", "body", "body_file", "body_text", "idempotency_key", "save", "expect", "error",
    },
    "paginate": {"as", "query", "save", "expect"},
    "proxy_stats": {"save", "expect"},
    "totp": {"offset_steps", "digits", "save", "expect"},
}
_MODEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Call:
    """One call of a typed method: ``getattr(client, method)(*args, **kwargs)``;
    for ``paginate`` the method is an ``iter_*`` helper whose items are collected."""

    operation: str
    client: Any
    method: str
    args: list[Any]
    kwargs: dict[str, Any]
    paginate: bool

    def __str__(self) -> str:
        shown_args = [shown(a, 80) if not isinstance(a, bytes) else f"<{len(a)} bytes>" for a in self.args]
        shown_args += [f"{k}={shown(to_json(v), 80)}" for k, v in self.kwargs.items()]
        return f"{self.method}({', '.join(shown_args)})"


@dataclass
class Outcome:
    """What a call gave: its result, or the SDK exception it raised."""

    result: Any = None
    error: mm.MismatchError | None = None


@dataclass
class Step:
    """A step of the document, its inputs resolved just before it runs."""

    scenario: Scenario
    index: int
    spec: dict[str, Any]
    action: str = ""
    call: Call | None = None

    @property
    def title(self) -> str:
        action = next((a for a in ACTIONS if a in self.spec), "?")
        operation = self.spec[action] if action in ("call", "paginate") else action
        return f'step {self.index} "{self.spec.get("step", "?")}" ({operation})'

    @contextmanager
    def reported(self) -> Iterator[None]:
        """Names this step in any failure other than a StepFailed (which does already)."""
        try:
            yield
        except StepFailed:
            raise
        except ScenarioError as err:
            raise StepFailed(f"{self.title}: error of the scenario: {err}") from err
        except Exception as err:
            where = f"\n  call: {self.call}" if self.call else ""
            raise StepFailed(f"{self.title}: {type(err).__name__}: {err}{where}") from err

    def fail(self, why: str, actual: Any) -> StepFailed:
        where = f"\n  call: {self.call}" if self.call else ""
        return StepFailed(f"{self.title}: {why}{where}\n  actual: {shown(actual)}")

    def prepare(self) -> None:
        actions = [a for a in ACTIONS if a in self.spec]
        if len(actions) != 1 or not isinstance(self.spec.get("step"), str):
            raise ScenarioError(f"a step needs a `step` sentence and one of {ACTIONS}: {shown(self.spec, 300)}")
        self.action = actions[0]
        unknown = set(self.spec) - {"step", self.action} - _STEP_KEYS[self.action]
        if unknown:
            raise ScenarioError(f"unknown keys {sorted(unknown)}")
        if "error" in self.spec and "expect" in self.spec:
            raise ScenarioError("a step has `expect` or `error`, not both")
        if self.action == "client":
            self.scenario.define_client(self.spec)
        elif self.action in ("call", "paginate"):
            self.call = self.scenario.make_call(self.spec, paginate=self.action == "paginate")

    def local(self) -> Outcome:
        """The outcome of a step that calls no SDK method (``proxy_stats``, ``totp``)."""
        if self.action == "totp":
            return Outcome(result=totp_step(self.spec, self.scenario.names, int(time.time())))
        return Outcome(result=self.scenario.proxy_stats())

    def finish(self, outcome: Outcome) -> None:
        """Saves the result (or the error's facts) and checks ``expect`` or ``error``."""
        names = self.scenario.names
        save = self.spec.get("save")
        if "error" in self.spec:
            if outcome.error is None:
                raise self.fail("the call succeeded but the step expects an error", to_json(outcome.result))
            facts = error_facts(outcome.error)
            if save:
                names[save] = facts
            failed = first_mismatch(facts, self.spec["error"], names)
            if failed:
                raise self.fail(f"the error is not the expected one, {failed}", facts)
            return
        if outcome.error is not None:
            raise self.fail(f"the call failed: {outcome.error!r}", error_facts(outcome.error))
        value = to_json(outcome.result)
        if save:
            names[save] = value
        if "expect" in self.spec:
            failed = first_mismatch(value, self.spec["expect"], names)
            if failed:
                raise self.fail(f"expect failed {failed}", value)


@dataclass
class Scenario:
    """The document, the values saved so far and the named clients."""

    stamp: str
    admin_key: str
    base_urls: dict[str, str]  # "server" and "flaky"
    make_client: Callable[..., Any]  # mm.Client or mm.AsyncClient
    document: dict[str, Any] = field(default_factory=lambda: json.loads(RECRUITING.read_text(encoding="utf-8")))
    names: dict[str, Any] = field(init=False)
    clients: dict[str, Any] = field(init=False, default_factory=dict)
    #: Every client made, for the runner to close (a name may be defined again).
    opened: list[Any] = field(init=False, default_factory=list)
    files: dict[str, bytes] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        texts: dict[str, str] = {}
        for name, spec in self.document.get("files", {}).items():
            content = (ROOT / spec["path"]).read_bytes()
            self.files[name] = content
            if spec["as"] == "text":
                texts[name] = content.decode("utf-8")
            elif spec["as"] != "bytes":
                raise ScenarioError(f"files.{name}: `as` is text or bytes, not {spec['as']!r}")
        self.names = {"stamp": self.stamp, "admin_key": self.admin_key, "files": texts}
        self.define_client({"client": "admin", "api_key": "${admin_key}", "base_url": "server"})

    def steps(self) -> Iterator[Step]:
        """The steps that call something, each prepared once the previous one finished."""
        for index, spec in enumerate(self.document["steps"]):
            step = Step(self, index, spec)
            with step.reported():
                step.prepare()
            if step.action != "client":
                yield step

    def define_client(self, spec: Mapping[str, Any]) -> None:
        where = spec.get("base_url", "server")
        if where not in self.base_urls:
            raise ScenarioError(f"base_url is one of {sorted(self.base_urls)}, not {where!r}")
        options: dict[str, Any] = {"base_url": self.base_urls[where], "api_key": resolve(spec["api_key"], self.names)}
        if spec.get("max_retries") is not None:
            options["max_retries"] = resolve(spec["max_retries"], self.names)
        client = self.make_client(**options)
        self.opened.append(client)
        self.clients[spec["client"]] = client

    def make_call(self, spec: Mapping[str, Any], *, paginate: bool) -> Call:
        """The typed method for the step's operation and its arguments: path
        parameters positional, query and header parameters and the JSON body's
        properties as keywords, a raw body as the ``file`` argument."""
        operation = spec["paginate" if paginate else "call"]
        method = mm.OPERATIONS.get(operation)
        if method is None:
            raise ScenarioError(f"the SDK has no operation {operation!r}")
        if paginate:
            if not method.startswith("list_"):
                raise ScenarioError(f"{operation} is not a list operation")
            method = "iter_" + method.removeprefix("list_")
        who = spec.get("as", "admin")
        if who not in self.clients:
            raise ScenarioError(f"no client is named {who!r}")
        client = self.clients[who]
        function = getattr(client, method, None)
        if function is None:
            raise ScenarioError(f"{type(client).__name__} has no method {method}")
        parameters = inspect.signature(function).parameters

        path = dict(resolve(spec.get("path", {}), self.names))
        body = resolve(spec.get("body"), self.names)
        raw: bytes | None = None
        if "body_file" in spec:
            if spec["body_file"] not in self.files:
                raise ScenarioError(f"no file is named {spec['body_file']!r}")
            raw = self.files[spec["body_file"]]
        elif "body_text" in spec:
            raw = str(resolve(spec["body_text"], self.names)).encode("utf-8")

        args: list[Any] = []
        for name, parameter in parameters.items():
            if parameter.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD:
                continue
            if name == "file":
                if raw is None:
                    raise ScenarioError(f"{method} takes the body as bytes: give body_file or body_text")
                args.append(raw)
                raw = None
            elif name in path:
                args.append(path.pop(name))
            else:
                raise ScenarioError(f"{method} needs the path parameter {name!r}")
        if path:
            raise ScenarioError(f"{method} has no path parameters {sorted(path)}")
        if raw is not None:
            raise ScenarioError(f"{method} takes no raw body")

        if body is not None and not isinstance(body, dict):
            raise ScenarioError(f"{method}: a JSON body is an object of the operation's properties")
        headers = resolve(spec.get("headers", {}), self.names)
        keywords = [
            *resolve(spec.get("query", {}), self.names).items(),
            *((header.lower().replace("-", "_"), value) for header, value in headers.items()),
            *(body or {}).items(),
        ]
        if "idempotency_key" in spec:
            keywords.append(("idempotency_key", resolve(spec["idempotency_key"], self.names)))
        kwargs: dict[str, Any] = {}
        for name, value in keywords:
            keyword = parameters.get(name)
            if keyword is None or keyword.kind is not inspect.Parameter.KEYWORD_ONLY:
                raise ScenarioError(f"{method} takes no keyword argument {name!r}")
            if name in kwargs:
                raise ScenarioError(f"{method}: {name!r} is given twice")
            kwargs[name] = _as_model(keyword, value)
        return Call(operation, client, method, args, kwargs, paginate)

    def proxy_stats(self) -> Any:
        url = f"{self.base_urls['flaky'].rstrip('/')}/__flaky/stats"
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())


def _as_model(parameter: inspect.Parameter, value: Any) -> Any:
    """A JSON object for a parameter typed as a model becomes that model, as a user passes it."""
    if not isinstance(value, dict):
        return value
    for name in _MODEL_NAME.findall(str(parameter.annotation)):
        model = getattr(mm, name, None)
        if isinstance(model, type) and dataclasses.is_dataclass(model):
            known = {f.name for f in dataclasses.fields(model)}
            if set(value) - known:
                raise ScenarioError(f"{model.__name__} has no fields {sorted(set(value) - known)}")
            return getattr(model, "from_dict")(value)
    return value


# --- playing it ---------------------------------------------------------------------------


def play(scenario: Scenario, perform: Callable[[Call], Any]) -> None:
    """Plays every step, making each call with the blocking ``perform``."""
    for step in scenario.steps():
        with step.reported():
            if step.call is None:
                step.finish(step.local())
                continue
            try:
                outcome = Outcome(result=perform(step.call))
            except mm.MismatchError as err:
                outcome = Outcome(error=err)
            step.finish(outcome)


async def play_async(scenario: Scenario, perform: Callable[[Call], Awaitable[Any]]) -> None:
    """Plays every step, awaiting each call made by ``perform``."""
    for step in scenario.steps():
        with step.reported():
            if step.call is None:
                step.finish(step.local())
                continue
            try:
                outcome = Outcome(result=await perform(step.call))
            except mm.MismatchError as err:
                outcome = Outcome(error=err)
            step.finish(outcome)
