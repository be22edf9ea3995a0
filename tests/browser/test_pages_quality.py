"""Every main page, in real Chromium, on the demo network: no sideways scrolling on a phone (390 px) or
at 400 % zoom (a 1280 px window is then 320 CSS px wide: WCAG 1.4.10), axe-core clean (WCAG A/AA and
best practices), and valid HTML (the Nu HTML Checker, 0 errors). Touch targets of at least 44 x 44 px on
the board, the observation page and the plan on a tablet (768 x 1024).

One test walks all pages (and reports every problem at once) to keep the browser time small."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lsweb.demo import seed_demo
from lsweb.extensions import db
from lsweb.models import Cycle, CycleStatus, Post, Publication, ResearchLesson, StudyGroup

from .conftest import _format_violations, sign_in

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
VNU = ROOT / "tools" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
MEMBER, ADMIN = "teacher1@demo.local", "admin@demo.local"

# Wider than the viewport by more than a pixel, ignoring elements that scroll inside themselves
# (a table in a scrolling region is allowed to scroll: 1.4.10 exempts data tables that need two dimensions).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width + 1) { return []; }
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && r.width > 0 && !el.closest(".table-wrap, [data-scrolls]")) {
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).split(" ").join(".") : "") + " right=" + Math.round(r.right));
      if (out.length > 5) { break; }
    }
  }
  return out;
}"""
# Visible interactive controls smaller than 44 x 44 CSS px (links inside running text are exempt, as
# WCAG 2.5.8 allows for inline targets).
SMALL_TARGETS = """() => {
  const out = [];
  const sel = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex='0']";
  for (const el of document.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) { continue; }
    const style = getComputedStyle(el);
    if (style.visibility === "hidden") { continue; }
    if (el.tagName === "A" && el.closest("p, li, td, dd, .prose") && style.display === "inline") { continue; }
    if (el.type === "checkbox" || el.type === "radio") {
      const label = el.closest("label");
      const box = label ? label.getBoundingClientRect() : r;
      if (box.height >= 44) { continue; }
    }
    if (r.width < 44 - 0.5 || r.height < 44 - 0.5) {
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " '" + (el.textContent || el.value || "").trim().slice(0, 30) + "' " + Math.round(r.width) + "x" + Math.round(r.height));
    }
  }
  return out;
}"""


@pytest.fixture
def demo(live_server):
    with live_server.app.app_context():
        seed_demo()
        group = db.session.scalar(db.select(StudyGroup).where(StudyGroup.name == "Year 4 fractions"))
        cycle = db.session.scalar(db.select(Cycle).where(Cycle.group_id == group.id))
        lesson = db.session.scalar(db.select(ResearchLesson).where(ResearchLesson.cycle_id == cycle.id,
                                                                  ResearchLesson.number == 1))
        cycle.status = CycleStatus.DISCUSSING
        study = db.session.scalar(db.select(Publication.id).order_by(Publication.id))
        post = db.session.scalar(db.select(Post.id).where(Post.lesson_id == lesson.id).order_by(Post.id))
        db.session.commit()
        ids = {"group": group.id, "cycle": cycle.number, "lesson": lesson.id, "study": study, "post": post}
        db.session.remove()
    return ids


def member_pages(ids: dict) -> list[str]:
    g, c, lesson = ids["group"], ids["cycle"], ids["lesson"]
    return ["/", "/groups/", f"/groups/{g}", f"/groups/{g}/cycles/{c}", f"/groups/{g}/protocol",
            f"/lessons/{lesson}", f"/lessons/{lesson}/board", f"/lessons/{lesson}/board/posts/{ids['post']}/actions",
            f"/lessons/{lesson}/grid",
            f"/lessons/{lesson}/observe", f"/lessons/{lesson}/interviews", f"/groups/{g}/cycles/{c}/progress",
            f"/groups/{g}/cycles/{c}/summary", "/library", "/library?q=fractions",
            f"/library/studies/{ids['study']}", "/me/time", "/account/sessions",
            "/account/notifications"]


ADMIN_PAGES = ["/admin/staff", "/admin/audit", "/admin/schools"]


def _vnu(files: list[Path]) -> list[str]:
    if not VNU.exists() or shutil.which("java") is None:
        if os.environ.get("CI") or os.environ.get("LSWEB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the Nu HTML Checker is missing ({VNU}; `npm ci` in tools/vnu) or Java is missing")
        return []  # outside CI the check needs `npm ci` in tools/vnu first
    done = subprocess.run(["java", "-Xss1024k", "-jar", str(VNU), "--errors-only", "--format", "json",
                           *map(str, files)], capture_output=True, text=True, timeout=300)
    messages = json.loads(done.stderr or done.stdout or '{"messages": []}')["messages"]
    return [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}" for m in messages
            if m.get("type") == "error"]


def test_every_main_page_reflows_is_axe_clean_and_valid_html(demo, new_context, tmp_path):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems: list[str] = []
    saved: list[Path] = []
    member = new_context()
    admin = new_context()
    anonymous = new_context()
    page = sign_in(member, MEMBER)
    admin_page = sign_in(admin, ADMIN)
    anon_page = anonymous.new_page()
    walks = [(anon_page, ["/login"]), (page, member_pages(demo)), (admin_page, ADMIN_PAGES)]
    for tab, paths in walks:
        for path in paths:
            for width, height in ((390, 844), (320, 640)):  # a phone; a 1280 px window at 400 % zoom
                tab.set_viewport_size({"width": width, "height": height})
                response = tab.goto(path)
                assert response is not None and response.status == 200, f"{path}: {response and response.status}"
                wide = tab.evaluate(OVERFLOW)
                if wide:
                    problems.append(f"{path} at {width} px scrolls sideways: {', '.join(wide)}")
            tab.set_viewport_size({"width": 1280, "height": 900})
            tab.goto(path)
            violations = axe.run(tab, options={"resultTypes": ["violations"]}).response["violations"]
            if violations:
                problems.append(f"{path}: axe-core\n{_format_violations(violations)}")
            file = tmp_path / (path.strip("/").replace("/", "_").replace("?", "_").replace("=", "_") or "home")
            file = file.with_suffix(".html")
            file.write_text(_served_html(tab, path))
            saved.append(file)
    problems += [f"HTML: {error}" for error in _vnu(saved)]
    assert not problems, "\n".join(problems)


def _served_html(tab, path: str) -> str:
    """The page as the server sent it (what the HTML checker should judge), with the tab's cookies."""
    return tab.request.get(path).text()


@pytest.mark.parametrize("where", ["board", "observe", "plan"])
def test_touch_targets_on_a_tablet(demo, new_context, where):
    context = new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
    page = sign_in(context, MEMBER)
    page.goto({"board": f"/lessons/{demo['lesson']}/board", "observe": f"/lessons/{demo['lesson']}/observe",
               "plan": f"/lessons/{demo['lesson']}"}[where])
    page.wait_for_load_state("networkidle")
    for summary in page.locator("details.more > summary, details.reply-box > summary").all()[:3]:
        summary.click()  # what opens on the board is measured too (a More menu fetches its actions)
    page.wait_for_function("""() => [...document.querySelectorAll('details.more[open] .more-menu')]
        .every(menu => menu.querySelector('form'))""")  # the opened menus hold their fetched actions
    small = page.evaluate(SMALL_TARGETS)
    assert small == [], f"{len(small)} controls under 44 x 44 px on {where}: {small[:15]}"
