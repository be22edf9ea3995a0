"""Fixtures the sign-in tests share: a school and one of its teachers."""

from __future__ import annotations

import pytest

from lsweb.models import Role


@pytest.fixture
def school(factories):
    return factories.school("Hillside Primary")


@pytest.fixture
def teacher(factories, school):
    return factories.user(school, Role.TEACHER, email="jo@hillside.example", name="Jo Teacher")
