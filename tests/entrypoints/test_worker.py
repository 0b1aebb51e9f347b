import os
import signal
import threading
from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory.clock import FixedClock
from adapters.memory.messaging import RecordingMailer, RecordingSmsSender
from adapters.memory.persistence import InMemoryJobStore, InMemoryStore, InMemoryUnitOfWork
from domain.model.jobs import JobSpec, JobStatus, Notification
from domain.model.values import Email, Mobile
from entrypoints.notifications import DEFAULT_TEMPLATES_DIR, NotificationRenderer, make_notify_handler
from entrypoints.worker import PermanentJobError, RetryAt, Worker, exponential_backoff

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


class World:
    def __init__(self, *, max_attempts=8, templates_dir=DEFAULT_TEMPLATES_DIR, extra_handlers=None):
        self.clock = FixedClock(T0)
        self.store = InMemoryStore()
        self.jobs = InMemoryJobStore(self.store)
        self.mailer = RecordingMailer()
        self.sms = RecordingSmsSender()
        renderer = NotificationRenderer(templates_dir, "https://seing.example")
        handlers = {"notify": make_notify_handler(renderer, self.mailer, self.sms), **(extra_handlers or {})}
        self.worker = Worker(self.jobs, handlers, self.clock, max_attempts=max_attempts)

    def enqueue(self, spec: JobSpec) -> str:
        with InMemoryUnitOfWork(self.store, self.clock) as uow:
            job_id = uow.jobs.enqueue(spec)
            uow.commit()
        return job_id

    def enqueue_reset_email(self) -> str:
        return self.enqueue(JobSpec.notify(Notification.email(
            Email("claire@example.fr"), "password_reset", name="Claire", token="tok-42")))


def test_a_notification_is_rendered_delivered_and_the_job_completed():
    world = World()
    job_id = world.enqueue_reset_email()

    assert world.worker.run_once() == 1

    [email] = world.mailer.sent
    assert email.to == "claire@example.fr"
    assert email.message_key == f"seing.{job_id}"  # the same on a redelivery: one Message-ID at the receiver
    assert "https://seing.example/mot-de-passe/reinitialiser/tok-42" in email.text
    job = world.jobs.get(job_id)
    assert job.status is JobStatus.DONE
    assert world.worker.run_once() == 0
    assert len(world.mailer.sent) == 1


def test_an_sms_notification_goes_through_the_sms_sender(tmp_path):
    (tmp_path / "notifications").mkdir()
    (tmp_path / "notifications" / "code.sms.txt").write_text(
        "{% trans %}Seing : votre code est {{ code }}.{% endtrans %}\n", encoding="utf-8")
    world = World(templates_dir=tmp_path)
    world.enqueue(JobSpec.notify(Notification.sms(Mobile("0612345678"), "code", code="482913")))

    world.worker.run_once()

    assert [(s.to, s.text) for s in world.sms.sent] == [("+33612345678", "Seing : votre code est 482913.")]
    assert world.mailer.sent == []


def test_a_message_the_provider_refuses_fails_its_job_at_once_without_retry():
    world = World()
    job_id = world.enqueue(JobSpec.notify(Notification.sms(
        Mobile("0612345678"), "one_time_code", code="482913", valid_minutes="10", purpose="signing")))
    world.sms.fail_next(1, "400 invalid_parameter Invalid phone number", permanent=True)

    assert world.worker.run_once() == 1

    job = world.jobs.get(job_id)
    assert job.status is JobStatus.FAILED and job.attempts == 1
    assert "sms to +33612345678 refused" in job.last_error and "Invalid phone number" in job.last_error
    world.clock.advance(timedelta(hours=2))
    assert world.worker.run_once() == 0  # nothing left to retry
    assert world.sms.sent == []


def test_a_failed_delivery_is_retried_after_30_s_then_1_min_then_2_min():
    world = World()
    job_id = world.enqueue_reset_email()
    world.mailer.fail_next(3, "421 service indisponible")

    delays = []
    for _ in range(3):
        started = world.clock.now()
        assert world.worker.run_once() == 1
        job = world.jobs.get(job_id)
        assert job.status is JobStatus.PENDING
        assert "421 service indisponible" in job.last_error
        delays.append(job.run_at - started)
        # Not a second early…
        world.clock.set(job.run_at - timedelta(seconds=1))
        assert world.worker.run_once() == 0
        world.clock.set(job.run_at)

    assert delays == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)]
    assert world.worker.run_once() == 1  # …and on time: the fourth attempt succeeds
    assert world.jobs.get(job_id).status is JobStatus.DONE
    assert world.jobs.get(job_id).attempts == 4
    assert len(world.mailer.sent) == 1


def test_the_worker_gives_up_after_the_last_attempt():
    world = World(max_attempts=3)
    job_id = world.enqueue_reset_email()
    world.mailer.fail_next(100)

    for _ in range(5):
        world.worker.run_once()
        world.clock.advance(timedelta(hours=2))

    job = world.jobs.get(job_id)
    assert job.status is JobStatus.FAILED
    assert job.attempts == 3
    assert world.mailer.attempts == 3
    assert world.mailer.sent == []


def test_an_unknown_job_kind_fails_at_once_without_retry():
    world = World()
    job_id = world.enqueue(JobSpec(kind="teleport", payload={"to": "mars"}))

    world.worker.run_once()

    job = world.jobs.get(job_id)
    assert job.status is JobStatus.FAILED
    assert job.attempts == 1
    assert "teleport" in job.last_error


def test_an_unknown_template_is_not_retried():
    world = World()
    job_id = world.enqueue(JobSpec.notify(Notification.email(Email("a@example.fr"), "no_such_template")))

    world.worker.run_once()

    job = world.jobs.get(job_id)
    assert job.status is JobStatus.FAILED
    assert "no_such_template" in job.last_error
    assert world.mailer.attempts == 0


def test_a_handler_can_declare_a_failure_permanent():
    def refuse(job):
        raise PermanentJobError("payload refers to a deleted collection")

    world = World(extra_handlers={"remind": refuse})
    job_id = world.enqueue(JobSpec(kind="remind"))

    world.worker.run_once()

    assert world.jobs.get(job_id).status is JobStatus.FAILED
    assert "deleted collection" in world.jobs.get(job_id).last_error


def test_a_handler_with_its_own_schedule_runs_again_when_it_says_beyond_the_attempt_limit():
    runs = []

    def handle(job):
        runs.append(world.clock.now())
        if len(runs) < 4:
            raise RetryAt(world.clock.now() + timedelta(hours=2), "receiver down")

    world = World(max_attempts=2, extra_handlers={"own_schedule": handle})
    job_id = world.enqueue(JobSpec(kind="own_schedule"))
    for _ in range(4):
        world.worker.run_once()
        assert world.worker.run_once() == 0  # nothing due before the time the handler asked for
        world.clock.advance(timedelta(hours=2))
    assert runs == [T0 + timedelta(hours=2 * n) for n in range(4)]
    job = world.jobs.get(job_id)
    assert job.status is JobStatus.DONE and job.attempts == 4


def test_a_crashing_job_does_not_stop_the_others():
    def crash(job):
        raise RuntimeError("boom")

    world = World(extra_handlers={"crash": crash})
    crashing = world.enqueue(JobSpec(kind="crash"))
    fine = world.enqueue_reset_email()

    assert world.worker.run_once() == 2

    assert world.jobs.get(crashing).status is JobStatus.PENDING
    assert world.jobs.get(crashing).last_error == "RuntimeError: boom"
    assert world.jobs.get(fine).status is JobStatus.DONE


def test_a_job_scheduled_for_later_waits_for_its_time():
    world = World()
    ran = []
    world.worker = Worker(world.jobs, {"remind": ran.append}, world.clock)
    world.enqueue(JobSpec(kind="remind", run_at=T0 + timedelta(days=1)))

    assert world.worker.run_once() == 0
    world.clock.advance(timedelta(days=1))
    assert world.worker.run_once() == 1
    assert len(ran) == 1


def test_the_backoff_doubles_from_30_s_and_stops_at_an_hour():
    assert [exponential_backoff(n) for n in (1, 2, 3, 7)] == [
        timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=32)]
    assert exponential_backoff(8) == timedelta(hours=1)
    assert exponential_backoff(10_000) == timedelta(hours=1)
    with pytest.raises(ValueError):
        exponential_backoff(0)


def test_run_forever_delivers_then_stops_when_asked():
    world = World()
    world.enqueue_reset_email()
    stop = threading.Event()
    thread = threading.Thread(target=world.worker.run_forever, args=(stop, 0.01))
    thread.start()
    try:
        for _ in range(500):
            if world.mailer.sent:
                break
            threading.Event().wait(0.01)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(world.mailer.sent) == 1
    world.enqueue_reset_email()
    assert world.worker.run_once() == 1  # stopping once does not leave the worker stuck
    assert len(world.mailer.sent) == 2


def test_the_next_step_of_a_chain_of_jobs_runs_without_waiting_for_the_poll_interval():
    # A completion enqueues its seal, the seal its emails: each step must not idle a poll interval.
    world = World()
    done = threading.Event()

    def first(job):
        world.enqueue(JobSpec(kind="second"))

    world.worker = Worker(world.jobs, {"first": first, "second": lambda job: done.set()}, world.clock)
    world.enqueue(JobSpec(kind="first"))
    stop = threading.Event()
    thread = threading.Thread(target=world.worker.run_forever, args=(stop, 60.0))
    thread.start()
    try:
        assert done.wait(5), "the second job waited for the next poll"
    finally:
        stop.set()
        thread.join(timeout=5)
    assert world.jobs.count_by_status() == {JobStatus.PENDING: 0, JobStatus.DONE: 2, JobStatus.FAILED: 0}


def test_run_forever_survives_a_job_store_outage():
    world = World()
    world.enqueue_reset_email()
    real_claim = world.jobs.claim
    outages = [1]

    def flaky_claim(**kwargs):
        if outages:
            outages.pop()
            raise ConnectionError("database restarting")
        return real_claim(**kwargs)

    world.jobs.claim = flaky_claim
    stop = threading.Event()
    thread = threading.Thread(target=world.worker.run_forever, args=(stop, 0.01))
    thread.start()
    try:
        for _ in range(500):
            if world.mailer.sent:
                break
            threading.Event().wait(0.01)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert len(world.mailer.sent) == 1


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_stop_the_worker_cleanly(signum):
    world = World()
    world.enqueue_reset_email()
    before = signal.getsignal(signum)
    timer = threading.Timer(0.2, os.kill, args=(os.getpid(), signum))
    timer.start()
    try:
        world.worker.run_forever(poll_interval=0.01)  # returns only once the signal arrives
    finally:
        timer.cancel()
    assert len(world.mailer.sent) == 1
    assert signal.getsignal(signum) is before


def test_periodic_tasks_run_when_due_and_a_failing_one_does_not_stop_the_others():
    from datetime import timedelta as _td

    from adapters.memory.clock import FixedClock as _Clock
    from adapters.memory.persistence import InMemoryJobStore as _Jobs
    from adapters.memory.persistence import InMemoryStore as _Store

    clock = _Clock()
    calls = []

    def broken():
        calls.append("broken")
        raise RuntimeError("boom")

    worker = Worker(_Jobs(_Store()), {}, clock, periodic={
        "collections": (_td(minutes=1), lambda: calls.append("collections")),
        "broken": (_td(minutes=1), broken),
    })
    assert worker.run_periodic() == ["collections", "broken"]
    clock.advance(_td(seconds=59))
    assert worker.run_periodic() == []
    clock.advance(_td(seconds=1))
    assert worker.run_periodic() == ["collections", "broken"]
    assert calls == ["collections", "broken", "collections", "broken"]


# -- telling the preparer about a message that never arrived ------------------------------------------------------


class Told:
    """The use case the failure handler hands a failed delivery to, as the container binds it."""

    def __init__(self):
        self.calls = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)


def _world_telling(told, **kwargs):
    from entrypoints.notifications import make_notify_failure_handler

    world = World(**kwargs)
    world.worker = Worker(world.jobs, world.worker._handlers, world.clock, max_attempts=kwargs.get("max_attempts", 8),
                          on_failure={"notify": make_notify_failure_handler(told)})
    return world


def _about_anne(world):
    return world.enqueue(JobSpec.notify(Notification.email(
        Email("anne@exemple.fr"), "password_reset", name="Anne", token="tok-7").about("col-1", "sig-1")))


def test_a_notification_names_its_collection_and_signer_through_the_outbox():
    spec = JobSpec.notify(Notification.sms(Mobile("0612345678"), "signing_code", code="123456").about("col-1", "sig-1"))
    back = spec.as_notification()
    assert (back.about_collection, back.about_signer) == ("col-1", "sig-1")
    assert "123456" not in {v for k, v in spec.payload if k.startswith("about.")}


def test_a_job_queued_before_notifications_named_their_collection_still_runs():
    old = JobSpec(kind="notify", payload={"channel": "email", "to": "claire@example.fr",
                                          "template": "password_reset", "ctx.name": "Claire", "ctx.token": "t"})
    notification = old.as_notification()
    assert notification.about_collection is None and notification.about_signer is None
    world = World()
    job_id = world.enqueue(old)
    world.worker.run_once()
    assert world.jobs.get(job_id).status is JobStatus.DONE


def test_a_refused_message_about_a_signer_is_handed_over_at_once_with_the_providers_code():
    told = Told()
    world = _world_telling(told)
    world.mailer.fail_next(permanent=True, message="550 mailbox unknown", code="550")
    job_id = _about_anne(world)
    world.worker.run_once()
    assert world.jobs.get(job_id).status is JobStatus.FAILED
    assert told.calls == [dict(collection_id="col-1", signer_id="sig-1", channel="email", permanent=True,
                               provider_code="550")]


def test_a_transient_failure_is_handed_over_only_when_the_retries_are_spent():
    told = Told()
    world = _world_telling(told, max_attempts=2)
    world.mailer.fail_next(times=5)
    _about_anne(world)
    world.worker.run_once()
    assert told.calls == []
    world.clock.advance(timedelta(minutes=5))
    world.worker.run_once()
    assert told.calls == [dict(collection_id="col-1", signer_id="sig-1", channel="email", permanent=False,
                               provider_code=None)]


def test_a_failed_message_about_no_one_is_not_handed_over():
    told = Told()
    world = _world_telling(told)
    world.mailer.fail_next(permanent=True)
    world.enqueue_reset_email()
    world.worker.run_once()
    assert told.calls == []


def test_a_failure_in_telling_does_not_stop_the_worker():
    def broken(**kwargs):
        raise RuntimeError("database away")

    world = _world_telling(broken)
    world.mailer.fail_next(permanent=True)
    first = _about_anne(world)
    second = world.enqueue_reset_email()
    world.worker.run_once()
    assert world.jobs.get(first).status is JobStatus.FAILED
    assert world.jobs.get(second).status is JobStatus.DONE
