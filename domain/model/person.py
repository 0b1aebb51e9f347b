"""A natural person known to the platform, independent of any cabinet."""

from __future__ import annotations

from datetime import datetime

from attrs import define, evolve

from domain.model.values import Email, Mobile, PersonName


@define(eq=False)
class Person:
    id: str
    name: PersonName
    email: Email
    mobile: Mobile | None
    created_at: datetime
    locale: str = "fr"

    @classmethod
    def register(cls, *, id: str, name: PersonName, email: Email, mobile: Mobile | None, now: datetime) -> Person:
        return cls(id=id, name=name, email=email, mobile=mobile, created_at=now)

    @property
    def display_name(self) -> str:
        return f"{self.name.given_names} {self.name.surname}"

    def change_mobile(self, mobile: Mobile | None) -> None:
        self.mobile = mobile

    def rename(self, name: PersonName) -> None:
        self.name = evolve(name)
