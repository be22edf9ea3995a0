"""A school's own table of job titles -> lsweb roles, used by the staff import (on top of the usual
titles of MIS exports)."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_login import current_user
from sqlalchemy import delete

from .. import audit
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..models import JobTitleRole, Role, School, User
from ..permissions import can_manage_staff, school_or_404
from ..web import done, render
from . import bp
from .forms import JobTitlesForm
from .mis_columns import USUAL_TITLES, normalise

MAX_TITLES = 500


def parse_titles(text: str) -> dict[str, Role]:
    """Lines "Job title = role"; a DomainError names the first line that is not."""
    titles: dict[str, Role] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        title, sep, role_text = line.rpartition("=")
        role = Role.parse(role_text) if sep else None
        if not sep or not normalise(title) or role is None or role is Role.NETWORK_ADMIN:
            raise DomainError(f"Line {number} (“{line.strip()[:60]}”) is not “Job title = role” with a role of "
                              "school admin, lead, teacher or support staff.", "titles")
        if len(normalise(title)) > 120:
            raise DomainError(f"Line {number}: a job title has at most 120 characters.", "titles")
        titles[normalise(title)] = role
    if len(titles) > MAX_TITLES:
        raise DomainError(f"At most {MAX_TITLES} job titles.", "titles")
    return titles


def save_titles(admin: User, school: School, text: str) -> int:
    if not can_manage_staff(admin, school):
        raise NotAllowed("You cannot change this school.")
    titles = parse_titles(text)
    db.session.execute(delete(JobTitleRole).where(JobTitleRole.school_id == school.id))
    db.session.add_all(JobTitleRole(school_id=school.id, title=title, role=role) for title, role in titles.items())
    audit.record(admin, "school.job_titles_saved", target=school.name, school_id=school.id,
                 details=f"{len(titles)} job titles")
    db.session.commit()
    return len(titles)


@bp.route("/schools/<int:school_id>/job-titles", methods=["GET", "POST"])
def job_titles(school_id: int):
    school = school_or_404(current_user, school_id)
    form = JobTitlesForm()
    if request.method == "GET":
        rows = db.session.scalars(db.select(JobTitleRole).where(JobTitleRole.school_id == school.id)
                                  .order_by(JobTitleRole.title))
        form.titles.data = "\n".join(f"{row.title} = {row.role.label.lower()}" for row in rows)
    elif form.validate_on_submit():
        try:
            count = save_titles(current_user, school, form.titles.data)
        except DomainError as error:
            db.session.rollback()
            form.titles.errors.append(error.message)
        else:
            flash(f"{count} job titles saved for {school.name}.", "success")
            return done(url_for("admin.job_titles", school_id=school.id))
    status = 422 if form.errors else 200
    usual = sorted(USUAL_TITLES.items())
    return render("admin/job_titles.html", "form", status=status, form=form, school=school, usual=usual)
