from lsweb.demo import seed_demo
from lsweb.demo.discussion import seed_discussion
from lsweb.discussion import services
from lsweb.extensions import db
from lsweb.models import Cycle, CycleStatus, StudyGroup, User
from lsweb.planning.lessons import create_lesson


def demo_lesson():
    seed_demo()
    group = db.session.scalar(db.select(StudyGroup).where(StudyGroup.name == "Year 4 fractions"))
    cycle = db.session.scalar(db.select(Cycle).where(Cycle.group_id == group.id))
    facilitator = db.session.scalar(db.select(User).where(User.email == "teacher1@demo.local"))
    lesson = create_lesson(facilitator, cycle)
    cycle.status = CycleStatus.DISCUSSING
    db.session.commit()
    return lesson


def test_seed_discussion_fills_every_section(app):
    lesson = demo_lesson()
    seed_discussion(lesson)
    seq = services.current_seq(lesson)
    for section in services.sections_of(lesson):
        assert services.section_posts(lesson, section.key, seq)[0], section.title
    assert len(services.next_steps_of(lesson)) == 2
    assert any(p.mark == "finding" for p in services.all_posts(lesson))
    assert any(p.parent_id for p in services.all_posts(lesson))
