"""The composition root: one dependency-injector container wiring ports to adapters.

``build_container(settings)`` picks the real adapters from configuration;
``build_container(settings, fakes=True)`` gives the in-memory ones, with the same provider
names, for tests. Use cases are ``providers.Callable`` with their ports bound, so callers
write ``container.use_cases.login(email=..., password=...)``.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.memory.clock import FixedClock
from adapters.memory.ids import SequentialIds
from adapters.memory.messaging import RecordingMailer, RecordingSmsSender
from adapters.memory.persistence import InMemoryJobStore, InMemoryStore, InMemoryUnitOfWork
from adapters.memory.security import PlainPasswordHasher
from adapters.security.totp import PyotpTotp

from domain.services import accounts, cabinets
from entrypoints.notifications import DEFAULT_TEMPLATES_DIR, NotificationRenderer, make_notify_handler
from entrypoints.settings import Settings
from entrypoints.worker import Worker


class UseCases(containers.DeclarativeContainer):
    adapters = providers.DependenciesContainer()

    _uow = adapters.uow.provider

    # accounts
    login = providers.Callable(accounts.login, uow=_uow, clock=adapters.clock, hasher=adapters.password_hasher)
    verify_second_factor = providers.Callable(accounts.verify_second_factor, uow=_uow, clock=adapters.clock,
                                              totp=adapters.totp)
    start_totp_setup = providers.Callable(accounts.start_totp_setup, uow=_uow, totp=adapters.totp)
    confirm_totp = providers.Callable(accounts.confirm_totp, uow=_uow, clock=adapters.clock, totp=adapters.totp,
                                      ids=adapters.ids)
    disable_totp = providers.Callable(accounts.disable_totp, uow=_uow, hasher=adapters.password_hasher)
    change_password = providers.Callable(accounts.change_password, uow=_uow, clock=adapters.clock,
                                         hasher=adapters.password_hasher)
    request_password_reset = providers.Callable(accounts.request_password_reset, uow=_uow, clock=adapters.clock,
                                                ids=adapters.ids)
    reset_password = providers.Callable(accounts.reset_password, uow=_uow, clock=adapters.clock,
                                        hasher=adapters.password_hasher)
    profile = providers.Callable(accounts.profile, uow=_uow)
    set_locale = providers.Callable(accounts.set_locale, uow=_uow)

    # cabinets
    create_cabinet = providers.Callable(cabinets.create_cabinet, uow=_uow, clock=adapters.clock, ids=adapters.ids,
                                        hasher=adapters.password_hasher)
    my_cabinets = providers.Callable(cabinets.my_cabinets, uow=_uow)
    list_members = providers.Callable(cabinets.list_members, uow=_uow)
    invite_member = providers.Callable(cabinets.invite_member, uow=_uow, clock=adapters.clock, ids=adapters.ids)
    revoke_invitation = providers.Callable(cabinets.revoke_invitation, uow=_uow)
    invitation_details = providers.Callable(cabinets.invitation_details, uow=_uow, clock=adapters.clock)
    accept_invitation = providers.Callable(cabinets.accept_invitation, uow=_uow, clock=adapters.clock,
                                           ids=adapters.ids, hasher=adapters.password_hasher)
    grant_delegation = providers.Callable(cabinets.grant_delegation, uow=_uow)
    withdraw_delegation = providers.Callable(cabinets.withdraw_delegation, uow=_uow)


class FakeAdapters(containers.DeclarativeContainer):
    """In-memory adapters: same provider names as the real ones."""

    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(FixedClock)
    ids = providers.Singleton(SequentialIds)
    password_hasher = providers.Singleton(PlainPasswordHasher)
    totp = providers.Singleton(PyotpTotp)
    store = providers.Singleton(InMemoryStore)
    uow = providers.Factory(InMemoryUnitOfWork, store=store, clock=clock)
    job_store = providers.Singleton(InMemoryJobStore, store=store)
    mailer = providers.Singleton(RecordingMailer)
    sms_sender = providers.Singleton(RecordingSmsSender)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    adapters = providers.DependenciesContainer()
    use_cases = providers.Container(UseCases, adapters=adapters)

    renderer = providers.Singleton(NotificationRenderer, DEFAULT_TEMPLATES_DIR,
                                   settings.provided.resolved_public_url)
    job_handlers = providers.Dict(
        notify=providers.Factory(make_notify_handler, renderer, adapters.mailer, adapters.sms_sender),
    )
    worker = providers.Factory(Worker, adapters.job_store, job_handlers, adapters.clock)


def build_container(settings: Settings, *, fakes: bool = False) -> Container:
    if fakes:
        adapters = FakeAdapters(settings=providers.Object(settings))
    else:
        from entrypoints.real_adapters import RealAdapters

        adapters = RealAdapters(settings=providers.Object(settings))
    return Container(settings=providers.Object(settings), adapters=adapters)
