"""The discussion as a record: sections in order, each thread with its replies, then the findings and
next steps (for the printed record and the Markdown download)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..markdown_export import escape
from ..models import Post, ResearchLesson
from ..timezones import local, zone_of
from . import services
from .text import to_markdown


@dataclass
class Thread:
    post: Post
    replies: list[Post] = field(default_factory=list)


@dataclass
class RecordSection:
    section: services.Section
    threads: list[Thread]


def record_of(lesson: ResearchLesson, guest: bool = False) -> tuple[list[RecordSection], list[Post], list[Post]]:
    """(sections with their threads, findings, next steps): deleted and hidden posts show as such. A guest's
    record holds only the sections a guest reads."""
    visible = services.sections_for(lesson, guest)
    keys = {section.key for section in visible}
    posts = [post for post in services.all_posts(lesson) if post.section in keys]
    threads = {post.id: Thread(post) for post in posts if post.parent_id is None}
    for post in posts:
        if post.parent_id is not None and post.parent_id in threads:
            threads[post.parent_id].replies.append(post)
    sections = [RecordSection(section, [t for t in threads.values() if t.post.section == section.key])
                for section in visible]
    shown = [post for post in posts if not post.is_removed]
    return (sections, [p for p in shown if p.mark == "finding"], [p for p in shown if p.mark == "next_step"])


def _status(post: Post) -> str | None:
    if post.deleted_at is not None:
        return "*Deleted by its author.*"
    if post.hidden_at is not None:
        return f"*Hidden by the facilitator: {escape(post.hidden_reason or '')}*"
    return None


def _quote(post: Post, zone, indent: str = "") -> list[str]:
    when = local(post.created_at, zone).strftime("%d %b %Y %H:%M %Z")
    tags = [post.mark_label] if post.mark_label and not post.is_removed else []
    if post.edited_at and not post.is_removed:
        tags.append("edited")
    if post.agree_count and not post.is_removed:
        tags.append(f"{post.agree_count} agree")
    head = f"{indent}- **{escape(post.author.display_name)}**, {when}" + (f" ({', '.join(tags)})" if tags else "")
    body = _status(post) or to_markdown(post.body)
    return [head] + [f"{indent}  {line}" if line else "" for line in body.splitlines()]


def as_markdown(lesson: ResearchLesson, guest: bool = False) -> str:
    sections, findings, next_steps = record_of(lesson, guest)
    chair, recorder = services.roles_of(lesson)
    zone = zone_of(lesson.cycle.group.school)
    lines = [f"# Post-lesson discussion: {escape(lesson.cycle.group.name)}, cycle {lesson.cycle.number}, "
             f"RL{lesson.number}",
             "", f"Chair: {escape(chair.display_name) if chair else 'not set'}. "
                 f"Recorder: {escape(recorder.display_name) if recorder else 'not set'}.", ""]
    for part in sections:
        lines += [f"## {escape(part.section.title)}", ""]
        if not part.threads:
            lines += ["Nothing posted.", ""]
        for thread in part.threads:
            lines += _quote(thread.post, zone)
            for reply in thread.replies:
                lines += _quote(reply, zone, "  ")
            lines.append("")
    for title, posts in (("Findings", findings), ("Next steps", next_steps)):
        lines += [f"## {title}", ""]
        lines += [f"- {escape(services.to_plain(post.body))} ({escape(post.author.display_name)})"
                  for post in posts] or ["None."]
        lines.append("")
    return "\n".join(lines)
