"""The end-to-end scenario through ``AsyncClient`` (asyncio) against a live server.

Needs a live server like test_e2e.py (skipped without one, failed under
CI=true). Each test drives its coroutine with ``asyncio.run``; the native client
is not tied to one event loop.
"""

from __future__ import annotations

import time
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import pytest
from conftest import Live

import mismatch_recruiter as mm

# Every test needs the live server: without one it is skipped, or fails under CI.
pytestmark = pytest.mark.usefixtures("live")

T = TypeVar("T")


def run(make: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await make()

    return asyncio.run(main())


@dataclass
class Story:
    key: str
    candidate: mm.Candidate
    backend: mm.Job
    unrelated: mm.Job


@pytest.fixture(scope="module")
def story(live: Live) -> Story:
    async def setup() -> Story:
        async with mm.AsyncClient(base_url=live.base_url, api_key=live.admin_api_key) as admin:
            created = await admin.create_api_key(name=f"python-async-e2e-recruiter-{time.time_ns()}", role="recruiter")
        async with mm.AsyncClient(base_url=live.base_url, api_key=created.key) as client:
            text = (live.fixtures / "resume.txt").read_text(encoding="utf-8")
            candidate = await client.create_candidate(text=text)
            # Both jobs at once: the client is safe to use concurrently.
            backend, unrelated = await asyncio.gather(
                client.create_job(
                    title=f"Async backend engineer {candidate.id}",
                    description="Python services on PostgreSQL and Kubernetes.",
                    required_skills=["Python", "PostgreSQL"],
                ),
                client.create_job(
                    title=f"Async florist {candidate.id}",
                    description="Arrange flowers for weddings.",
                    required_skills=["Floristry"],
                ),
            )
        assert client.closed
        return Story(created.key, candidate, backend, unrelated)

    return run(setup)


def client_for(live: Live, story: Story, **options: float) -> mm.AsyncClient:
    return mm.AsyncClient(base_url=live.base_url, api_key=story.key, **options)  # type: ignore[arg-type]


def test_candidate_has_the_resume_skills(story: Story) -> None:
    names = {skill.name for skill in story.candidate.skills}
    assert {"Python", "PostgreSQL", "Kubernetes"} <= names
    assert isinstance(story.candidate.skills[0], mm.Skill)


def test_upload_pdf(live: Live, story: Story) -> None:
    async def go() -> mm.Candidate:
        async with client_for(live, story) as client:
            # A path: the file is read off the event loop and its name becomes `filename`.
            return await client.upload_candidate(live.fixtures / "resume.pdf")

    uploaded = run(go)
    assert uploaded.id.startswith("cand_") and uploaded.source is not None
    assert uploaded.source.format == "pdf" and uploaded.source.filename == "resume.pdf"


def test_matching_and_ranking(live: Live, story: Story) -> None:
    async def go() -> tuple[mm.Match, mm.RankedMatches, mm.RankedMatches]:
        async with client_for(live, story) as client:
            return await asyncio.gather(
                client.create_match(candidate_id=story.candidate.id, job_id=story.backend.id),
                client.rank_candidates_for_job(story.backend.id, limit=100),
                client.rank_jobs_for_candidate(story.candidate.id, limit=100),
            )

    match, candidates, jobs = run(go)
    assert 0 <= match.score <= 100 and {"Python", "PostgreSQL"} <= set(match.matched_skills)
    assert story.candidate.id in [m.candidate_id for m in candidates.items]
    # Shared server: of this scenario's two jobs, the backend one comes first.
    ours = [m for m in jobs.items if m.job_id in (story.backend.id, story.unrelated.id)]
    assert ours and ours[0].job_id == story.backend.id
    assert all(a.score >= b.score for a, b in zip(jobs.items, jobs.items[1:]))


def test_predict_salary(live: Live, story: Story) -> None:
    async def go() -> mm.SalaryPrediction:
        async with client_for(live, story) as client:
            return await client.predict_salary(candidate_id=story.candidate.id)

    prediction = run(go)
    assert prediction.low <= prediction.expected <= prediction.high
    assert prediction.currency == "USD"


def test_interview_questions_and_job_analytics(live: Live, story: Story) -> None:
    async def go() -> tuple[mm.InterviewQuestions, mm.JobAnalytics]:
        async with client_for(live, story) as client:
            job = await client.create_job(
                title=f"Async platform engineer {story.candidate.id}",
                description="Go and Python services.",
                required_skills=["Go", "Python"],
                seniority="senior",
            )
            return await asyncio.gather(
                client.create_interview_questions(candidate_id=story.candidate.id, job_id=job.id),
                client.get_job_analytics(job.id),
            )

    plan, analytics = run(go)
    questions = [*plan.basic, *plan.intermediate, *plan.advanced]
    assert questions and all(q.reason and q.good_answer for q in questions)
    go_questions = [q for q in questions if q.skill == "Go"]
    assert go_questions and "the candidate lacks" in go_questions[0].reason
    assert all(len(group) <= 3 for group in (plan.basic, plan.intermediate, plan.advanced))
    shares = [s.share for s in analytics.required_skills]
    assert shares == sorted(shares), "rarest first"
    assert {s.skill for s in analytics.required_skills} == {"Go", "Python"}
    dist = analytics.score_distribution
    assert dist.count >= 1 and sum(b.count for b in dist.bins) == dist.count
    assert sum(v.count for v in dist.by_verdict) == dist.count


def test_customer_salary_model(live: Live, story: Story) -> None:
    lines = ["salary,years_experience,education,location,skills,currency"]
    for i in range(40):
        lines.append(f"{50_000 + 3_000 * (i % 10) + 500 * (i % 3)},{i % 10},bachelor,Austin,Python,USD")
    offers = ("\n".join(lines) + "\n").encode()
    name = f"python-async-e2e-offers-{time.time_ns()}"

    async def go() -> tuple[mm.SalaryModelVersion, mm.SalaryModelVersion, mm.SalaryPrediction]:
        async with client_for(live, story) as client:
            first = await client.create_salary_model(offers, name=name)
            second = await client.create_salary_model(offers, name=name)
            prediction = await client.predict_salary(
                features=mm.SalaryFeatures(years_experience=5.0, education="bachelor"),
                model_id=first.id,
                model_version=1,
            )
            return first, second, prediction

    first, second, prediction = run(go)
    assert first.id.startswith("sm_") and first.version == 1 and first.rows == 40
    assert first.evaluation is None  # fewer than 50 offers: no holdout
    assert (second.id, second.version) == (first.id, 2)
    assert prediction.model_id == first.id and prediction.model_version == f"{first.id}@v1"
    # 5 years in these offers pay 65,000–66,000.
    assert 60_000 < prediction.expected < 72_000
    assert prediction.low <= prediction.expected <= prediction.high


def test_errors_are_typed(live: Live, story: Story) -> None:
    async def go() -> tuple[BaseException, BaseException]:
        async with client_for(live, story) as client:
            results = await asyncio.gather(
                client.get_candidate("cand_does_not_exist"),
                client.create_job(title="Backend", salary_min=200_000, salary_max=100_000),
                return_exceptions=True,
            )
        return results[0], results[1]  # type: ignore[return-value]

    missing, invalid = run(go)
    assert isinstance(missing, mm.NotFoundError)
    assert missing.status == 404 and missing.code == "not_found" and missing.request_id
    assert isinstance(invalid, mm.ValidationError)
    assert invalid.status == 422 and invalid.code == "validation_failed"
    assert "salary_min" in [e.field for e in invalid.errors]


def test_retry_through_flaky_proxy(live: Live, story: Story, unique: str) -> None:
    title = f"Async flaky retry {unique}"
    before = live.flaky_stats()

    async def go() -> list[mm.Job]:
        async with mm.AsyncClient(base_url=live.flaky_url, api_key=story.key, max_retries=2) as flaky:
            created = await flaky.create_job(title=title)
            assert created.title == title
        async with client_for(live, story) as direct:
            return [job async for job in direct.iter_jobs(limit=100) if job.title == title]

    assert len(run(go)) == 1
    assert live.flaky_stats()["failed"] >= before["failed"] + 1


def test_no_retries_through_flaky_proxy(live: Live, story: Story, unique: str) -> None:
    async def go() -> None:
        async with mm.AsyncClient(base_url=live.flaky_url, api_key=story.key, max_retries=0) as flaky:
            await flaky.create_job(title=f"Async never created {unique}")

    with pytest.raises(mm.ServerError) as info:
        run(go)
    assert info.value.status == 503


def test_cancelling_a_call_does_not_break_the_client(live: Live, story: Story) -> None:
    async def go() -> mm.Health:
        async with client_for(live, story) as client:
            task = asyncio.ensure_future(client.list_jobs(limit=100))
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return await client.get_liveness()

    assert run(go).status == "ok"
