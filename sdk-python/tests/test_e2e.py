"""End-to-end scenario through the blocking ``Client`` against a live server.

Needs MISMATCH_BASE_URL (with MISMATCH_ADMIN_API_KEY, MISMATCH_FLAKY_URL and
MISMATCH_FIXTURES): without it the tests are skipped, and fail under CI=true.
The same story runs through every SDK.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from conftest import Live

import mismatch_recruiter as mm

# Every test needs the live server: without one it is skipped, or fails under CI.
pytestmark = pytest.mark.usefixtures("live")

BACKEND_SKILLS = ["Python", "PostgreSQL"]


@pytest.fixture(scope="module")
def recruiter_key(live: Live) -> str:
    with mm.Client(base_url=live.base_url, api_key=live.admin_api_key) as admin:
        created = admin.create_api_key(name=f"python-e2e-recruiter-{time.time_ns()}", role="recruiter")
    assert isinstance(created, mm.ApiKeyCreated)
    assert created.key.startswith("mm_") and created.role == "recruiter"
    return created.key


@pytest.fixture(scope="module")
def client(live: Live, recruiter_key: str) -> Iterator[mm.Client]:
    with mm.Client(base_url=live.base_url, api_key=recruiter_key) as c:
        yield c
    assert c.closed


@pytest.fixture(scope="module")
def candidate(live: Live, client: mm.Client) -> mm.Candidate:
    text = (live.fixtures / "resume.txt").read_text(encoding="utf-8")
    return client.create_candidate(text=text)


@pytest.fixture(scope="module")
def jobs(client: mm.Client, candidate: mm.Candidate) -> tuple[mm.Job, mm.Job]:
    stamp = candidate.id
    backend = client.create_job(
        title=f"Backend engineer (Python) {stamp}",
        description="Build Python services on PostgreSQL, deployed on Kubernetes.",
        required_skills=BACKEND_SKILLS,
        nice_to_have_skills=["Kubernetes"],
        min_years=2,
    )
    unrelated = client.create_job(
        title=f"Pastry chef {stamp}",
        description="Bake croissants and decorate cakes in our bakery.",
        required_skills=["Baking", "Cake decorating"],
    )
    return backend, unrelated


def test_candidate_from_resume_text_has_typed_skills(candidate: mm.Candidate) -> None:
    assert isinstance(candidate, mm.Candidate)
    assert candidate.id.startswith("cand_")
    assert all(isinstance(skill, mm.Skill) for skill in candidate.skills)
    names = {skill.name for skill in candidate.skills}
    assert {"Python", "PostgreSQL", "Kubernetes"} <= names


def test_upload_pdf_resume(live: Live, client: mm.Client) -> None:
    uploaded = client.upload_candidate(live.fixtures / "resume.pdf")
    assert uploaded.id.startswith("cand_")
    assert uploaded.source is not None and uploaded.source.format == "pdf"
    assert uploaded.source.filename == "resume.pdf"
    assert "Python" in {skill.name for skill in uploaded.skills}
    assert client.get_candidate(uploaded.id).id == uploaded.id


def test_match_explains_the_score(client: mm.Client, candidate: mm.Candidate, jobs: tuple[mm.Job, mm.Job]) -> None:
    backend, _ = jobs
    match = client.create_match(candidate_id=candidate.id, job_id=backend.id)
    assert isinstance(match, mm.Match) and isinstance(match.breakdown, mm.MatchBreakdown)
    assert 0 <= match.score <= 100
    assert set(BACKEND_SKILLS) <= set(match.matched_skills)
    assert match.missing_required_skills == []


def test_rank_candidates_for_job_includes_the_candidate(
    client: mm.Client, candidate: mm.Candidate, jobs: tuple[mm.Job, mm.Job]
) -> None:
    ranked = client.rank_candidates_for_job(jobs[0].id, limit=100)
    assert candidate.id in [m.candidate_id for m in ranked.items]
    scores = [m.score for m in ranked.items]
    assert scores == sorted(scores, reverse=True)


def test_rank_jobs_for_candidate_puts_the_backend_job_first(
    client: mm.Client, candidate: mm.Candidate, jobs: tuple[mm.Job, mm.Job]
) -> None:
    backend, unrelated = jobs
    ranked = client.rank_jobs_for_candidate(candidate.id, limit=100)
    scores = {m.job_id: m.score for m in ranked.items}
    assert list(scores.values()) == sorted(scores.values(), reverse=True)
    # The server is shared with other runs and SDKs, whose backend jobs may fit
    # as well; of this scenario's two jobs, the backend one must come first.
    assert backend.id in scores
    ours = [job_id for job_id in scores if job_id in (backend.id, unrelated.id)]
    assert ours[0] == backend.id
    unrelated_score = scores.get(unrelated.id)
    if unrelated_score is None:
        unrelated_score = client.create_match(candidate_id=candidate.id, job_id=unrelated.id).score
    assert scores[backend.id] > unrelated_score
    assert ranked.items[0].score >= scores[backend.id]


def test_predict_salary_for_the_candidate(client: mm.Client, candidate: mm.Candidate) -> None:
    prediction = client.predict_salary(candidate_id=candidate.id)
    assert isinstance(prediction, mm.SalaryPrediction)
    assert prediction.low <= prediction.expected <= prediction.high
    assert prediction.currency == "USD"


@pytest.fixture(scope="module")
def platform_job(client: mm.Client, candidate: mm.Candidate) -> mm.Job:
    """A job requiring Go, which the candidate lacks, besides their Python."""
    return client.create_job(
        title=f"Platform engineer (Go/Python) {candidate.id}",
        description="Go and Python services on Kubernetes.",
        required_skills=["Go", "Python"],
        nice_to_have_skills=["Rust"],
        seniority="senior",
    )


def test_interview_questions_target_missing_and_key_skills(
    client: mm.Client, candidate: mm.Candidate, platform_job: mm.Job
) -> None:
    plan = client.create_interview_questions(candidate_id=candidate.id, job_id=platform_job.id, per_level=3)
    assert isinstance(plan, mm.InterviewQuestions)
    questions = [*plan.basic, *plan.intermediate, *plan.advanced]
    assert questions
    for level, group in (("basic", plan.basic), ("intermediate", plan.intermediate), ("advanced", plan.advanced)):
        assert len(group) <= 3
        assert all(q.level == level for q in group)
    assert all(q.reason and q.good_answer and q.question for q in questions)
    go = [q for q in questions if q.skill == "Go"]
    assert go and all(q.level == "basic" for q in go)
    assert "the candidate lacks" in go[0].reason
    assert any(q.skill == "Python" for q in questions)
    assert plan.targets[0].skill == "Go" and not plan.targets[0].candidate_has
    again = client.create_interview_questions(candidate_id=candidate.id, job_id=platform_job.id, per_level=3)
    assert [q.id for q in again.basic] == [q.id for q in plan.basic]


def test_job_analytics(client: mm.Client, platform_job: mm.Job) -> None:
    analytics = client.get_job_analytics(platform_job.id)
    assert isinstance(analytics, mm.JobAnalytics)
    assert {s.skill for s in analytics.required_skills} == {"Go", "Python"}
    shares = [s.share for s in analytics.required_skills]
    assert shares == sorted(shares), "rarest first"
    dist = analytics.score_distribution
    assert dist.count >= 1
    assert sum(b.count for b in dist.by_verdict) == dist.count
    assert sum(b.count for b in dist.bins) == dist.count
    assert len(dist.bins) == 10
    assert analytics.salary_benchmark.low <= analytics.salary_benchmark.high
    assert analytics.salary_benchmark.position == "unknown"


def test_unknown_candidate_is_not_found(client: mm.Client) -> None:
    with pytest.raises(mm.NotFoundError) as info:
        client.get_candidate("cand_does_not_exist")
    err = info.value
    assert err.status == 404 and err.code == "not_found"
    assert err.request_id
    assert isinstance(err, mm.APIError)


def test_a_rule_only_the_server_checks_is_a_validation_error(client: mm.Client) -> None:
    # Not an empty title: the spec's length bounds are checked by the SDK
    # before sending; a salary range is checked by the server alone.
    with pytest.raises(mm.ValidationError) as info:
        client.create_job(title="Backend", salary_min=200_000, salary_max=100_000)
    err = info.value
    assert err.status == 422 and err.code == "validation_failed"
    assert "salary_min" in [e.field for e in err.errors]


def test_retry_through_flaky_proxy_creates_exactly_one_job(live: Live, recruiter_key: str, unique: str) -> None:
    title = f"Flaky retry {unique}"
    before = live.flaky_stats()
    with mm.Client(base_url=live.flaky_url, api_key=recruiter_key, max_retries=2) as flaky:
        job = flaky.create_job(title=title, required_skills=["Python"])
    assert job.title == title
    after = live.flaky_stats()
    assert after["failed"] >= before["failed"] + 1
    with mm.Client(base_url=live.base_url, api_key=recruiter_key) as direct:
        same_title = [j for j in direct.iter_jobs(limit=100) if j.title == title]
    assert len(same_title) == 1


def test_no_retries_through_flaky_proxy_raises_server_error(live: Live, recruiter_key: str, unique: str) -> None:
    with mm.Client(base_url=live.flaky_url, api_key=recruiter_key, max_retries=0) as flaky:
        with pytest.raises(mm.ServerError) as info:
            flaky.create_job(title=f"Never created {unique}")
    assert info.value.status == 503
    assert info.value.attempts == 1


def test_replaying_an_idempotency_key_returns_the_first_result(client: mm.Client, unique: str) -> None:
    first = client.create_job(title=f"Idempotent {unique}", idempotency_key=f"idem-{unique}")
    again = client.create_job(title=f"Idempotent {unique}", idempotency_key=f"idem-{unique}")
    assert again.id == first.id


def test_job_lifecycle_update_filter_delete(client: mm.Client, unique: str) -> None:
    job = client.create_job(title=f"Lifecycle {unique}", required_skills=["Go"])
    assert job.status == "open"
    closed = client.update_job(job.id, status="closed", required_skills=["Go", "Rust"])
    assert closed.status == "closed" and closed.required_skills == ["Go", "Rust"]
    assert client.get_job(job.id).status == "closed"
    placed = client.update_job(job.id, location="Berlin, Germany", salary_max=90000)
    assert placed.location == "Berlin, Germany" and placed.salary_max == 90000
    cleared = client.update_job(job.id, clear=["location", "salary_max"])
    assert cleared.location is None and cleared.salary_max is None
    # Optimistic concurrency: if_match names the version read; a stale one is 412.
    guarded = client.update_job(job.id, min_years=2, if_match=f'"{cleared.version}"')
    assert guarded.version == cleared.version + 1
    with pytest.raises(mm.ConflictError) as stale:
        client.update_job(job.id, min_years=9, if_match=f'"{cleared.version}"')
    assert stale.value.status == 412 and stale.value.code == "precondition_failed"
    closed_ids = {j.id for j in client.iter_jobs(limit=50, status="closed")}
    assert job.id in closed_ids
    assert job.id not in {j.id for j in client.iter_jobs(limit=50, status="open")}
    assert client.delete_job(job.id) is None
    with pytest.raises(mm.NotFoundError):
        client.get_job(job.id)


def test_candidate_pagination_and_delete(live: Live, client: mm.Client) -> None:
    text = (live.fixtures / "resume.txt").read_text(encoding="utf-8")
    created = [client.create_candidate(text=text) for _ in range(3)]
    first = client.list_candidates(limit=2)
    assert len(first.items) == 2 and first.next_cursor
    seen = {c.id for c in client.iter_candidates(limit=2)}
    assert {c.id for c in created} <= seen
    client.delete_candidate(created[0].id)
    with pytest.raises(mm.NotFoundError) as info:
        client.get_candidate(created[0].id)
    assert info.value.code == "not_found"


def test_api_key_rotation_and_revocation(live: Live, client: mm.Client, unique: str) -> None:
    own = client.create_api_key(name=f"rotate {unique}", role="viewer")
    assert own.role == "viewer"
    assert own.id in {k.id for k in client.iter_api_keys(limit=100)}
    # By default the old key keeps working for an overlap, so clients can switch.
    overlapping = client.create_api_key(name=f"overlap {unique}", role="viewer")
    renewed = client.rotate_api_key(overlapping.id)
    assert renewed.previous_key_id == overlapping.id and renewed.previous_key_expires_at
    with mm.Client(base_url=live.base_url, api_key=overlapping.key, max_retries=0) as old:
        assert isinstance(old.list_jobs(limit=1), mm.JobPage)
    # With no overlap the old key stops working at once.
    rotated = client.rotate_api_key(own.id, overlap_seconds=0)
    assert rotated.key != own.key and rotated.key.startswith("mm_")
    with mm.Client(base_url=live.base_url, api_key=own.key, max_retries=0) as old:
        with pytest.raises(mm.AuthenticationError) as info:
            old.list_jobs()
    assert info.value.status == 401 and info.value.code == "unauthorized"
    with mm.Client(base_url=live.base_url, api_key=rotated.key, max_retries=0) as viewer:
        assert isinstance(viewer.list_jobs(limit=1), mm.JobPage)
        with pytest.raises(mm.PermissionDeniedError) as denied:
            viewer.create_job(title=f"Viewer cannot {unique}")
        assert denied.value.status == 403 and denied.value.code == "forbidden"
        client.revoke_api_key(rotated.id)
        with pytest.raises(mm.AuthenticationError):
            viewer.list_jobs()


def test_model_arguments_custom_weights_and_salary_features(
    client: mm.Client, candidate: mm.Candidate, jobs: tuple[mm.Job, mm.Job]
) -> None:
    only_skills = mm.MatchWeightsInput(skills=1.0, experience=0, seniority=0, location=0, salary=0, text=0)
    match = client.create_match(candidate_id=candidate.id, job_id=jobs[0].id, weights=only_skills)
    assert match.weights.skills == 1.0 and match.weights.text == 0.0
    assert match.score == 100.0  # the candidate has every skill of the backend job
    prediction = client.predict_salary(
        features=mm.SalaryFeatures(years_experience=6.0, skills=["Python", "Kubernetes"], education="master")
    )
    assert prediction.low <= prediction.expected <= prediction.high
    assert prediction.features.years_experience == 6.0 and prediction.features.education == "master"


def offers_csv(rows: int, scale: float) -> bytes:
    """Offers whose salary grows with experience and a master's degree."""
    lines = ["salary,years_experience,education,location,skills,currency"]
    for i in range(rows):
        years = i % 12
        education, degree = ("master", 1.2) if i % 2 else ("bachelor", 1.0)
        wobble = 1 + 0.05 * ((i * 7 % 11) / 5 - 1)
        salary = scale * 60_000 * (1 + 0.05 * years) * degree * wobble
        lines.append(f"{salary:.0f},{years},{education},Austin,Python;SQL,USD")
    return ("\n".join(lines) + "\n").encode()


def test_customer_salary_model_versions(client: mm.Client) -> None:
    name = f"python-e2e-offers-{time.time_ns()}"
    first = client.create_salary_model(offers_csv(60, 1.0), name=name)
    assert isinstance(first, mm.SalaryModelVersion)
    assert first.id.startswith("sm_") and first.version == 1 and first.rows == 60
    assert first.model_version == f"{first.id}@v1" and first.currency == "USD"
    assert first.evaluation is not None and first.evaluation.n_test == 12
    assert first.evaluation.mae < first.evaluation.baseline_mae
    second = client.create_salary_model(offers_csv(60, 2.0), name=name)
    assert (second.id, second.version) == (first.id, 2)

    listed = client.list_salary_models(limit=100)
    ours = [(m.id, m.version) for m in listed.items if m.id == first.id]
    assert ours == [(first.id, 2), (first.id, 1)]

    features = mm.SalaryFeatures(years_experience=4.0, education="master")
    newest = client.predict_salary(features=features, model_id=first.id)
    assert newest.model_id == first.id and newest.model_version == f"{first.id}@v2"
    assert newest.low <= newest.expected <= newest.high
    older = client.predict_salary(features=features, model_id=first.id, model_version=1)
    assert older.model_version == f"{first.id}@v1"
    # Version 2 was trained on offers twice as high.
    assert 1.8 < newest.expected / older.expected < 2.2
    shipped = client.predict_salary(features=features, model_id="default")
    assert shipped.model_id is None and shipped.model_version.startswith("salary-")
    with pytest.raises(mm.ValidationError) as bad:
        client.create_salary_model(b"salary,years_experience\n50000,old\n", name=name)
    assert [e.field for e in bad.value.errors] == ["rows[1].years_experience"]
