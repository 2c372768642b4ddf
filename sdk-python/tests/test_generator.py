"""The generator: its output for a small description, and that the committed output is fresh.

The generator reads the operation description ``mismatch-codegen`` writes; the
fixture ``mini_operations.json`` is that description of ``mini_openapi.json``
(``cargo run -p mismatch-codegen -- --check`` keeps the two in step)."""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SDK = Path(__file__).resolve().parent.parent
GENERATOR = SDK / "generate.py"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "mini_openapi.json"
DESCRIPTION = Path(__file__).resolve().parent / "fixtures" / "mini_operations.json"
SPEC = SDK.parent / "openapi.json"
PACKAGE_DIR = SDK / "python" / "mismatch_recruiter"
COMMITTED_MODELS = PACKAGE_DIR / "_models.py"
COMMITTED_CLIENT = PACKAGE_DIR / "_client.py"


INIT = PACKAGE_DIR / "__init__.py"


def run_generator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), *args], capture_output=True, text=True, check=False
    )


def scratch_outputs(directory: Path) -> list[str]:
    """Arguments that send every output of the generator into ``directory``."""
    shutil.copy(INIT, directory / "__init__.py")
    return [
        "--models-out", str(directory / "_mini_models.py"),
        "--client-out", str(directory / "_mini_client.py"),
        "--allowlist", str(directory / "allowlist.txt"),
        "--init", str(directory / "__init__.py"),
    ]


def load_in_package(path: Path) -> ModuleType:
    """Imports a generated file as a module of the installed package."""
    import mismatch_recruiter

    name = f"mismatch_recruiter.{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    assert module.__package__ == mismatch_recruiter.__name__
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The generator's output for the fixture spec, imported inside the package:
    one namespace holding the names of both generated modules."""
    directory = tmp_path_factory.mktemp("gen")
    result = run_generator("--description", str(DESCRIPTION), *scratch_outputs(directory))
    assert result.returncode == 0, result.stderr
    # The models first: the client module imports them by their module name.
    models = load_in_package(directory / "_mini_models.py")
    client = load_in_package(directory / "_mini_client.py")
    combined = ModuleType("mini")
    for module in (models, client):
        for name in module.__all__:
            setattr(combined, name, getattr(module, name))
    combined.__all__ = [*models.__all__, *client.__all__]
    return combined


CANDIDATE = {
    "id": "cand_1",
    "skills": [{"name": "Python", "years": 5.0}, {"name": "PostgreSQL"}],
    "seniority": "senior",
    "location": {"city": "Berlin", "remote": True},
    "extra": {"fav": {"name": "Rust"}},
    "class": 3,
    "created_at": "2026-01-01T00:00:00Z",
    "field_from_a_newer_server": 1,
}


def test_models_parse_nested_objects_into_typed_instances(mini: ModuleType) -> None:
    c = mini.Candidate.from_dict(CANDIDATE)
    assert isinstance(c, mini.Candidate)
    assert isinstance(c.skills[0], mini.Skill)
    assert c.skills[0].name == "Python" and c.skills[0].years == 5.0
    assert c.skills[1].years is None
    assert isinstance(c.location, mini.Location) and c.location.city == "Berlin"
    assert isinstance(c.extra["fav"], mini.Skill)
    assert c.class_ == 3  # keyword property names get a trailing underscore
    assert c.name is None and c.languages is None


def test_required_nullable_field_accepts_null(mini: ModuleType) -> None:
    c = mini.Candidate.from_dict({**CANDIDATE, "location": None})
    assert c.location is None


def test_missing_required_field_is_an_error(mini: ModuleType) -> None:
    broken = dict(CANDIDATE)
    del broken["skills"]
    with pytest.raises(KeyError):
        mini.Candidate.from_dict(broken)


def test_to_dict_round_trips_and_drops_unset_optionals(mini: ModuleType) -> None:
    c = mini.Candidate.from_dict(CANDIDATE)
    data = c.to_dict()
    assert data["class"] == 3 and "class_" not in data
    assert data["skills"][1] == {"name": "PostgreSQL"}
    assert "field_from_a_newer_server" not in data
    assert mini.Candidate.from_dict(data) == c


def test_enums_are_literal_aliases(mini: ModuleType) -> None:
    assert mini.Seniority.__args__ == ("junior", "mid", "senior", "lead")
    assert mini.JobStatus.__args__ == ("open", "closed")
    assert "Seniority" in mini.__all__


def test_tagged_unions_pick_the_variant_by_tag(mini: ModuleType) -> None:
    client = recorder(mini, [[{"kind": "job_created", "job_id": "job_1"}, {"kind": "candidate_created", "candidate_id": "c"}]])
    events = client.list_events()
    assert type(events[0]).__name__ == "EventJobCreated" and events[0].job_id == "job_1"
    assert type(events[1]).__name__ == "EventCandidateCreated"


def test_untagged_unions_try_models_before_plain_values(mini: ModuleType) -> None:
    as_text = mini.Candidate.from_dict({**CANDIDATE, "home": "Berlin"})
    as_model = mini.Candidate.from_dict({**CANDIDATE, "home": {"city": "Berlin"}})
    assert as_text.home == "Berlin"
    assert isinstance(as_model.home, mini.Location) and as_model.home.city == "Berlin"


def test_inline_objects_become_named_models(mini: ModuleType) -> None:
    job = mini.Job.from_dict({"id": "j", "title": "t", "status": "open", "salary": {"min": 1, "max": 2}})
    assert type(job.salary).__name__ == "JobSalary" and job.salary.max == 2


def test_one_method_per_operation_with_spec_shaped_signatures(mini: ModuleType) -> None:
    spec = json.loads(FIXTURE.read_text())
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values() if isinstance(op, dict) and "operationId" in op]
    assert sorted(mini.OPERATIONS) == sorted(ids)
    for cls in (mini.Client, mini.AsyncClient):
        for method in mini.OPERATIONS.values():
            assert callable(getattr(cls, method))
    sig = inspect.signature(mini.Client.get_candidate)
    assert list(sig.parameters)[:2] == ["self", "candidate_id"]
    create = inspect.signature(mini.Client.create_candidate).parameters
    assert create["text"].kind is inspect.Parameter.KEYWORD_ONLY
    assert create["text"].default is inspect.Parameter.empty
    assert create["email"].default is None
    assert "idempotency_key" in create
    assert "idempotency_key" not in inspect.signature(mini.Client.get_candidate).parameters
    # PATCH and DELETE carry an Idempotency-Key too, so the caller may choose it.
    assert "idempotency_key" in inspect.signature(mini.Client.update_job).parameters
    assert "idempotency_key" in inspect.signature(mini.Client.delete_candidate).parameters
    salary = inspect.signature(mini.Client.predict_salary).parameters
    # A oneOf body: every variant's properties, each optional.
    assert {"candidate_id", "features", "location"} <= set(salary)
    assert all(salary[n].default is None for n in ("candidate_id", "features"))
    assert inspect.iscoroutinefunction(mini.AsyncClient.get_candidate)
    assert inspect.isasyncgenfunction(mini.AsyncClient.iter_candidates)


class Call:
    def __init__(self, operation_id: str, args: dict[str, Any], kwargs: dict[str, Any]) -> None:
        self.operation_id, self.args, self.kwargs = operation_id, args, kwargs


def recorder(mini: ModuleType, replies: list[Any], flavour: str = "sync") -> Any:
    """A generated client whose transport records calls and returns canned bodies."""
    base = mini.Client if flavour == "sync" else mini.AsyncClient

    class Recorder(base):  # type: ignore[misc, valid-type]
        calls: list[Call]

        def _request(self, operation_id: str, args: dict[str, Any], **kwargs: Any) -> Any:
            self.calls.append(Call(operation_id, args, kwargs))
            return replies.pop(0)

    class AsyncRecorder(Recorder):
        async def _request(self, operation_id: str, args: dict[str, Any], **kwargs: Any) -> Any:
            return Recorder._request(self, operation_id, args, **kwargs)

    client = (Recorder if flavour == "sync" else AsyncRecorder)(api_key="mm_test")
    client.calls = []
    return client


def test_methods_build_the_native_arguments(mini: ModuleType) -> None:
    client = recorder(mini, [CANDIDATE, {"id": "j", "title": "t", "status": "closed"}, None])
    c = client.create_candidate(text="resume", email="a@b.c", idempotency_key="k1", extra_headers={"X-A": "1"})
    assert c.skills[0].name == "Python"
    call = client.calls[0]
    assert call.operation_id == "createCandidate"
    assert call.args == {"body": {"text": "resume", "email": "a@b.c"}}
    assert call.kwargs["idempotency_key"] == "k1" and call.kwargs["headers"] == {"X-A": "1"}
    job = client.update_job("job_1", status="closed")
    assert job.status == "closed"
    assert client.calls[1].args == {"job_id": "job_1", "body": {"status": "closed"}}
    assert client.delete_candidate("cand_1") is None
    assert client.calls[2].args == {"candidate_id": "cand_1"}


def test_model_arguments_are_serialised(mini: ModuleType) -> None:
    client = recorder(mini, [{"expected": 2.0, "low": 1.0, "high": 3.0, "currency": "USD"}])
    p = client.predict_salary(features=mini.SalaryFeatures(skills=["Rust"], years=3.0))
    assert p.low <= p.expected <= p.high
    assert client.calls[0].args == {"body": {"features": {"skills": ["Rust"], "years": 3.0}}}


def test_upload_accepts_bytes_paths_and_file_objects(mini: ModuleType, tmp_path: Path) -> None:
    doc = tmp_path / "cv.pdf"
    doc.write_bytes(b"%PDF-1.4 data")
    client = recorder(mini, [CANDIDATE] * 4)
    client.upload_candidate(b"raw", filename="a.txt")
    client.upload_candidate(doc)
    client.upload_candidate(str(doc), filename="renamed.pdf")
    with doc.open("rb") as fh:
        client.upload_candidate(fh)
    seen = [(c.args.get("filename"), c.kwargs["body_bytes"]) for c in client.calls]
    assert seen == [
        ("a.txt", b"raw"),
        ("cv.pdf", b"%PDF-1.4 data"),
        ("renamed.pdf", b"%PDF-1.4 data"),
        ("cv.pdf", b"%PDF-1.4 data"),
    ]
    with pytest.raises(TypeError):
        client.upload_candidate(12345)


def test_iter_follows_cursors_until_the_last_page(mini: ModuleType) -> None:
    pages = [
        {"items": [CANDIDATE, CANDIDATE], "next_cursor": "c2"},
        {"items": [CANDIDATE], "next_cursor": None},
    ]
    client = recorder(mini, list(pages))
    assert len(list(client.iter_candidates(limit=2))) == 3
    assert [c.args for c in client.calls] == [{"limit": 2}, {"limit": 2, "cursor": "c2"}]

    async_client = recorder(mini, list(pages), flavour="async")

    async def collect() -> int:
        return len([c async for c in async_client.iter_candidates(limit=2)])

    assert asyncio.run(collect()) == 3


def test_text_responses_are_returned_as_strings(mini: ModuleType) -> None:
    client = recorder(mini, ["a,b\n1,2\n"])
    assert inspect.signature(mini.Client.get_report_csv).return_annotation == "str"
    assert client.get_report_csv("rep_1") == "a,b\n1,2\n"
    assert client.calls[0].args == {"report_id": "rep_1"}


def test_bad_response_shape_is_a_decode_error(mini: ModuleType) -> None:
    import mismatch_recruiter as mm

    client = recorder(mini, [{"unexpected": True}])
    with pytest.raises(mm.ResponseDecodeError) as info:
        client.get_candidate("cand_1")
    assert info.value.body == {"unexpected": True}


def test_the_fixture_description_describes_the_fixture_spec() -> None:
    spec = json.loads(FIXTURE.read_text())
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values() if isinstance(op, dict)]
    described = json.loads(DESCRIPTION.read_text())
    # The description lists a path's operations in HTTP-method order.
    assert sorted(op["id"] for op in described["operations"]) == sorted(ids)
    assert described["schemas"] == spec["components"]["schemas"]


def test_generator_rejects_what_it_cannot_express(tmp_path: Path) -> None:
    described = json.loads(DESCRIPTION.read_text())
    upload = next(op for op in described["operations"] if op["id"] == "uploadCandidate")
    upload["body"]["kind"] = "multipart"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(described))
    result = run_generator("--description", str(bad), *scratch_outputs(tmp_path))
    assert result.returncode == 2
    assert "unknown body kind 'multipart'" in result.stderr
    assert not (tmp_path / "_mini_models.py").exists()
    assert not (tmp_path / "_mini_client.py").exists()


@pytest.mark.skipif(not SPEC.exists(), reason="openapi.json not present")
def test_committed_generated_code_is_up_to_date() -> None:
    result = run_generator("--check")
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(not SPEC.exists(), reason="openapi.json not present")
def test_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    shutil.copy(COMMITTED_MODELS, tmp_path / "_models.py")
    stale = tmp_path / "_client.py"
    shutil.copy(COMMITTED_CLIENT, stale)
    stale.write_text(stale.read_text() + "\n# hand edit\n")
    result = run_generator(
        "--check", "--models-out", str(tmp_path / "_models.py"), "--client-out", str(stale)
    )
    assert result.returncode == 1
    assert "stale" in result.stderr
    assert stale.read_text().endswith("# hand edit\n")  # --check never writes


def test_mini_outputs_allowlist_and_exports(mini: ModuleType, tmp_path: Path) -> None:
    result = run_generator("--description", str(DESCRIPTION), *scratch_outputs(tmp_path))
    assert result.returncode == 0, result.stderr
    allowlist = (tmp_path / "allowlist.txt").read_text().splitlines()
    entries = [line for line in allowlist if line and not line.startswith("#")]
    # Only multi-value Literal aliases; each must really be one at runtime.
    assert sorted(entries) == [f"mismatch_recruiter._mini_models.{n}" for n in ("JobStatus", "Seniority")]
    init = (tmp_path / "__init__.py").read_text()
    assert "    Candidate,\n" in init and "    'EventJobCreated',\n" in init
    assert "from ._mini_models import (\n" in init and "from ._mini_client import (\n" in init
    # Imports flow one way: the models need only the JSON helpers.
    models = (tmp_path / "_mini_models.py").read_text()
    assert "from ._convert import" in models
    assert "from ._base" not in models and "_mini_client" not in models
    assert "from ._mini_models import (" in (tmp_path / "_mini_client.py").read_text()
    assert init.count("BEGIN GENERATED EXPORTS") == 1


def test_committed_exports_match_the_generated_module() -> None:
    import mismatch_recruiter as mm
    from mismatch_recruiter import _client, _models

    assert set(_models.__all__) | set(_client.__all__) <= set(mm.__all__)
    for name in mm.__all__:
        assert hasattr(mm, name), name


@pytest.mark.skipif(not SPEC.exists(), reason="openapi.json not present")
def test_every_operation_of_the_spec_is_a_method_of_both_clients() -> None:
    import mismatch_recruiter as mm

    spec = json.loads(SPEC.read_text())
    methods = {"get", "put", "post", "delete", "patch", "head", "options"}
    ids = [op["operationId"] for item in spec["paths"].values() for m, op in item.items() if m in methods]
    assert ids and sorted(mm.OPERATIONS) == sorted(ids)
    for operation_id in ids:
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()
        assert mm.OPERATIONS[operation_id] == name
        assert inspect.isfunction(getattr(mm.Client, name)), name
        assert inspect.iscoroutinefunction(getattr(mm.AsyncClient, name)), name


def test_generated_code_for_every_construct_passes_mypy_strict(tmp_path: Path) -> None:
    """The fixture spec has unions, maps and inline models the real spec may lack."""
    pytest.importorskip("mypy")
    import mismatch_recruiter

    package = tmp_path / "mismatch_recruiter"
    shutil.copytree(Path(mismatch_recruiter.__file__).parent, package, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    result = run_generator(
        "--description", str(DESCRIPTION),
        "--models-out", str(package / "_models.py"),
        "--client-out", str(package / "_client.py"),
        "--allowlist", str(tmp_path / "allowlist.txt"),
        "--init", str(package / "__init__.py"),
    )
    assert result.returncode == 0, result.stderr
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.10", "-p", "mismatch_recruiter"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
