#!/usr/bin/env python3
"""Quickstart: parse a resume, post a job, see how well they match and why.

    pip install ./sdk-python
    MISMATCH_BASE_URL=http://127.0.0.1:8080 MISMATCH_API_KEY=mm_... python examples/python/quickstart.py

The API key needs the recruiter (or admin) role.
"""

from __future__ import annotations

import sys

from mismatch_recruiter import Client, MismatchError, NotFoundError

RESUME = """\
Jane Doe - Senior Backend Engineer
jane.doe@example.com | Berlin, Germany

Experience
2017-2025  Backend engineer at Example GmbH: Python (8 years), Django, FastAPI,
           PostgreSQL, Redis, Docker and k8s; led a team of four.

Skills: Python, PostgreSQL, Kubernetes, AWS, CI/CD
Education: MSc Computer Science
Languages: English, German
"""


def main() -> int:
    # base_url and api_key come from MISMATCH_BASE_URL and MISMATCH_API_KEY
    # (base_url falls back on http://127.0.0.1:8080); arguments would win.
    with Client(max_retries=3) as client:
        candidate = client.create_candidate(text=RESUME)
        print(f"candidate {candidate.id}: {candidate.seniority}, {candidate.years_experience} years")
        print("  skills:", ", ".join(skill.name for skill in candidate.skills))

        job = client.create_job(
            title="Senior Python Engineer",
            company="Acme",
            description="Python APIs on PostgreSQL, running on Kubernetes.",
            required_skills=["Python", "PostgreSQL"],
            nice_to_have_skills=["Kubernetes", "Go"],
            min_years=5,
        )
        print(f"job {job.id}: {job.title}")

        match = client.create_match(candidate_id=candidate.id, job_id=job.id)
        print(f"match score {match.score:.1f} ({match.verdict})")
        for reason in match.explanation:
            print(f"  - {reason}")
        print("  matched:", ", ".join(match.matched_skills) or "-")
        print("  missing:", ", ".join(match.missing_required_skills + match.missing_nice_to_have_skills) or "-")

        best = client.rank_candidates_for_job(job.id, limit=3)
        for rank, item in enumerate(best.items, start=1):
            print(f"  #{rank} {item.candidate_id} {item.score:.1f}")

        salary = client.predict_salary(candidate_id=candidate.id)
        print(
            f"salary: {salary.expected:,.0f} {salary.currency}/{salary.period} "
            f"(range {salary.low:,.0f}-{salary.high:,.0f}, confidence {salary.confidence:.2f})"
        )

        try:
            client.get_candidate("cand_does_not_exist")
        except NotFoundError as err:
            print(f"as expected: {err.code} (HTTP {err.status}, request {err.request_id})")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except MismatchError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
