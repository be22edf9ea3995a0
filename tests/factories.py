"""Small builders for test data. Every object is committed so views see it."""

from __future__ import annotations

import itertools

from werkzeug.security import generate_password_hash

from lsweb.models import Role, School, User

PASSWORD_HASHES: dict[str, str] = {}
_counter = itertools.count(1)


def password_hash(password: str) -> str:
    if password not in PASSWORD_HASHES:
        PASSWORD_HASHES[password] = generate_password_hash(password, method="pbkdf2:sha256:1000")
    return PASSWORD_HASHES[password]


class Factories:
    def __init__(self, db):
        self.db = db

    def school(self, name: str | None = None) -> School:
        school = School(name=name or f"School {next(_counter)}")
        self.db.session.add(school)
        self.db.session.commit()
        return school

    def user(self, school: School | None = None, role: Role = Role.TEACHER, email: str | None = None,
             name: str | None = None, password: str | None = None, active: bool = True,
             must_change_password: bool = False) -> User:
        from .conftest import TEST_PASSWORD

        number = next(_counter)
        user = User(
            email=email or f"{role.value}{number}@test.example",
            display_name=name or f"{role.label} {number}",
            role=role,
            school_id=school.id if school else None,
            password_hash=password_hash(password or TEST_PASSWORD),
            active=active,
            must_change_password=must_change_password,
        )
        self.db.session.add(user)
        self.db.session.commit()
        return user
