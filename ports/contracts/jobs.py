"""Contract of the transactional outbox: ``uow.jobs`` (ports/repositories.py) and the
worker's ``JobStore`` (ports/jobs.py).

Subclass ``JobsContract`` once per adapter and implement both hooks over one storage
(empty when each test starts)::

    class TestInMemoryJobs(JobsContract):
        def make_adapter(self):
            return InMemoryJobStore(self.store)

        def make_unit_of_work(self, clock):
            return InMemoryUnitOfWork(self.store, clock=clock)

Semantics fixed here: ``attempts`` counts finished attempts (``complete`` and ``fail``
each add one; ``claim`` does not), ``run_at`` of a job enqueued without one is its
creation time, and a lease ends at ``now + lease_seconds`` of the claim.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain.model.errors import NotFound
from domain.model.jobs import JobSpec, JobStatus, Notification
from domain.model.values import Email
from ports.jobs import JobStore
from ports.repositories import UnitOfWork

T0 = datetime(2026, 11, 28, 9, 30, 15, 250000, tzinfo=timezone.utc)
LEASE = 300


class ContractClock:
    """A settable clock, so enqueued jobs get known creation times."""

    def __init__(self, now: datetime = T0) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


class JobsContract:
    """What every job outbox and job store must do together."""

    def make_adapter(self) -> JobStore:
        raise NotImplementedError

    def make_unit_of_work(self, clock: ContractClock) -> UnitOfWork:
        raise NotImplementedError

    # helpers -------------------------------------------------------------------------

    def _enqueued(self, *specs: JobSpec, at: datetime = T0) -> list[str]:
        with self.make_unit_of_work(ContractClock(at)) as uow:
            ids = [uow.jobs.enqueue(spec) for spec in specs]
            uow.commit()
        return ids

    @staticmethod
    def _assert_not_found(action: object) -> None:
        try:
            action()  # type: ignore[operator]
        except NotFound:
            return
        raise AssertionError("expected NotFound")

    # enqueue and claim ---------------------------------------------------------------

    def test_a_committed_job_is_claimed_with_its_payload(self) -> None:
        [job_id] = self._enqueued(JobSpec(kind="purge", payload={"collection": "c-1", "reason": "expired"}))
        jobs = self.make_adapter().claim(now=T0, limit=10, lease_seconds=LEASE)
        assert [j.id for j in jobs] == [job_id]
        job = jobs[0]
        assert job.spec.kind == "purge"
        assert job.spec.payload_dict() == {"collection": "c-1", "reason": "expired"}
        assert (job.status, job.attempts, job.run_at, job.created_at, job.last_error) == (
            JobStatus.PENDING, 0, T0, T0, None)

    def test_a_notification_survives_the_trip_through_the_outbox(self) -> None:
        notification = Notification.email(Email("a@example.org"), "invitation", locale="fr",
                                          link="https://seing.example/i/xyz", cabinet="Cabinet « Durand »")
        [job_id] = self._enqueued(JobSpec.notify(notification))
        assert self.make_adapter().get(job_id).spec.as_notification() == notification

    def test_enqueue_gives_each_job_its_own_id(self) -> None:
        ids = self._enqueued(JobSpec(kind="a"), JobSpec(kind="a"), JobSpec(kind="b"))
        assert len(set(ids)) == 3
        assert {j.id for j in self.make_adapter().claim(now=T0, limit=10, lease_seconds=LEASE)} == set(ids)

    def test_a_job_enqueued_without_commit_is_never_stored(self) -> None:
        with self.make_unit_of_work(ContractClock()) as uow:
            uow.jobs.enqueue(JobSpec(kind="lost"))
        with self.make_unit_of_work(ContractClock()) as uow:
            uow.jobs.enqueue(JobSpec(kind="rolled-back"))
            uow.rollback()
            uow.commit()
        store = self.make_adapter()
        assert store.claim(now=T0 + timedelta(days=1), limit=10, lease_seconds=LEASE) == []
        assert store.list() == []

    def test_a_job_is_not_claimed_before_its_run_at(self) -> None:
        later = T0 + timedelta(hours=2)
        [job_id] = self._enqueued(JobSpec(kind="remind", run_at=later))
        store = self.make_adapter()
        assert store.get(job_id).run_at == later
        assert store.claim(now=later - timedelta(microseconds=1), limit=10, lease_seconds=LEASE) == []
        assert [j.id for j in store.claim(now=later, limit=10, lease_seconds=LEASE)] == [job_id]

    def test_claim_takes_at_most_limit_jobs_and_the_rest_later(self) -> None:
        ids = self._enqueued(*(JobSpec(kind="k", payload={"n": str(n)}) for n in range(5)))
        store = self.make_adapter()
        first = store.claim(now=T0, limit=2, lease_seconds=LEASE)
        second = store.claim(now=T0, limit=10, lease_seconds=LEASE)
        assert len(first) == 2 and len(second) == 3
        assert {j.id for j in first} | {j.id for j in second} == set(ids)
        assert store.claim(now=T0, limit=10, lease_seconds=LEASE) == []

    def test_a_claimed_job_is_not_claimed_again_within_its_lease(self) -> None:
        [job_id] = self._enqueued(JobSpec(kind="k"))
        store = self.make_adapter()
        assert [j.id for j in store.claim(now=T0, limit=1, lease_seconds=LEASE)] == [job_id]
        almost = T0 + timedelta(seconds=LEASE) - timedelta(microseconds=1)
        assert store.claim(now=almost, limit=1, lease_seconds=LEASE) == []

    def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(self) -> None:
        [job_id] = self._enqueued(JobSpec(kind="k"))
        store = self.make_adapter()
        store.claim(now=T0, limit=1, lease_seconds=LEASE)
        after = T0 + timedelta(seconds=LEASE)
        again = store.claim(now=after, limit=1, lease_seconds=LEASE)
        assert [j.id for j in again] == [job_id]
        assert again[0].status is JobStatus.PENDING
        assert store.claim(now=after + timedelta(seconds=1), limit=1, lease_seconds=LEASE) == []

    # outcomes ------------------------------------------------------------------------

    def test_a_completed_job_is_done_and_never_claimed_again(self) -> None:
        [job_id] = self._enqueued(JobSpec(kind="k"))
        store = self.make_adapter()
        store.claim(now=T0, limit=1, lease_seconds=LEASE)
        store.complete(job_id, now=T0 + timedelta(seconds=1))
        job = store.get(job_id)
        assert (job.status, job.attempts, job.last_error) == (JobStatus.DONE, 1, None)
        assert store.claim(now=T0 + timedelta(days=30), limit=10, lease_seconds=LEASE) == []

    def test_a_failed_job_with_a_retry_time_is_claimed_again_from_then(self) -> None:
        [job_id] = self._enqueued(JobSpec(kind="k"))
        store = self.make_adapter()
        store.claim(now=T0, limit=1, lease_seconds=LEASE)
        retry_at = T0 + timedelta(seconds=30)
        store.fail(job_id, error="SMTP 451 try later", now=T0 + timedelta(seconds=1), retry_at=retry_at)
        job = store.get(job_id)
        assert (job.status, job.attempts, job.last_error, job.run_at) == (
            JobStatus.PENDING, 1, "SMTP 451 try later", retry_at)
        assert store.claim(now=retry_at - timedelta(seconds=1), limit=1, lease_seconds=LEASE) == []
        # the retry does not wait for the end of the first claim's lease
        assert [j.id for j in store.claim(now=retry_at, limit=1, lease_seconds=LEASE)] == [job_id]
        store.fail(job_id, error="again", now=retry_at, retry_at=retry_at + timedelta(minutes=5))
        assert store.get(job_id).attempts == 2

    def test_a_failed_job_without_retry_is_failed_for_good(self) -> None:
        [job_id] = self._enqueued(JobSpec(kind="k"))
        store = self.make_adapter()
        store.claim(now=T0, limit=1, lease_seconds=LEASE)
        store.fail(job_id, error="no such template", now=T0, retry_at=None)
        job = store.get(job_id)
        assert (job.status, job.attempts, job.last_error) == (JobStatus.FAILED, 1, "no such template")
        assert store.claim(now=T0 + timedelta(days=30), limit=10, lease_seconds=LEASE) == []

    def test_unknown_jobs_raise_not_found(self) -> None:
        store = self.make_adapter()
        self._assert_not_found(lambda: store.get("no-such-job"))
        self._assert_not_found(lambda: store.complete("no-such-job", now=T0))
        self._assert_not_found(lambda: store.fail("no-such-job", error="x", now=T0, retry_at=None))

    # listing -------------------------------------------------------------------------

    def test_list_shows_the_most_recent_jobs_first_up_to_the_limit(self) -> None:
        [oldest] = self._enqueued(JobSpec(kind="a"), at=T0)
        [middle] = self._enqueued(JobSpec(kind="b"), at=T0 + timedelta(minutes=1))
        [newest] = self._enqueued(JobSpec(kind="c"), at=T0 + timedelta(minutes=2))
        store = self.make_adapter()
        store.complete(middle, now=T0 + timedelta(minutes=3))
        listed = store.list()
        assert [j.id for j in listed] == [newest, middle, oldest]
        assert [j.status for j in listed] == [JobStatus.PENDING, JobStatus.DONE, JobStatus.PENDING]
        assert [j.id for j in store.list(limit=2)] == [newest, middle]

    def test_count_by_status_tells_every_status_without_listing_the_jobs(self) -> None:
        store = self.make_adapter()
        assert store.count_by_status() == {JobStatus.PENDING: 0, JobStatus.DONE: 0, JobStatus.FAILED: 0}
        done, failed, retried, _waiting, _later = self._enqueued(*(JobSpec(kind=k) for k in "abcde"))
        store.claim(now=T0, limit=3, lease_seconds=LEASE)
        store.complete(done, now=T0)
        store.fail(failed, error="refused", now=T0, retry_at=None)
        store.fail(retried, error="try later", now=T0, retry_at=T0 + timedelta(minutes=5))
        # a claimed job and a job waiting for its retry are still pending: the queue has not drained
        assert store.count_by_status() == {JobStatus.PENDING: 3, JobStatus.DONE: 1, JobStatus.FAILED: 1}
