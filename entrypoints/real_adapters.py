"""The real adapters, chosen from configuration. Imported only when not running on fakes."""

from __future__ import annotations

from typing import Iterator

from dependency_injector import containers, providers

from adapters.messaging.outbox import OutboxMailer, OutboxSmsSender
from adapters.messaging.smtp import SmtpMailer
from adapters.persistence.database import open_database
from adapters.persistence.jobs import PonyJobStore
from adapters.persistence.unit_of_work import PonyUnitOfWork
from adapters.security.passwords import Argon2PasswordHasher
from adapters.security.totp import PyotpTotp
from adapters.system.clock import SystemClock
from adapters.system.ids import RandomIds
from entrypoints.settings import Settings


def _database(settings: Settings) -> Iterator[object]:
    db = open_database(settings.resolved_database_url)
    try:
        yield db
    finally:
        db.disconnect()


def _mailer(settings: Settings, clock: object) -> object:
    if settings.mail_backend == "smtp":
        return SmtpMailer(host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
                          username=settings.smtp_username or None, password=settings.smtp_password or None,
                          sender=settings.mail_sender)
    return OutboxMailer(settings.outbox_dir, clock=clock)


class RealAdapters(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(RandomIds)
    password_hasher = providers.Singleton(Argon2PasswordHasher)
    totp = providers.Singleton(PyotpTotp)
    database = providers.Resource(_database, settings=settings)
    uow = providers.Factory(PonyUnitOfWork, db=database, clock=clock)
    job_store = providers.Singleton(PonyJobStore, db=database)
    mailer = providers.Singleton(_mailer, settings=settings, clock=clock)
    sms_sender = providers.Singleton(OutboxSmsSender, settings.provided.outbox_dir, clock=clock)
