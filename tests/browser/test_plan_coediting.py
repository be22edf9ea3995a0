"""The plan as one live shared document, in real Chromium against the real app (issue 14, browser half).

Three people type into the same box for 10 s and each sees the others' letters within a second while
still typing; the texts end identical with every letter; remote carets carry names; Ctrl+Z undoes only
one's own run; offline typing survives a closed tab and arrives when the network is back; a stage
removed while someone types in it keeps every letter when brought back; details and observers save by
themselves; adding a member mid-meeting stops nobody; axe-core finds nothing; the keyboard is enough.

Demo data: RL2 of "Year 4 fractions" (started from RL1, not taught yet; Hannah Lee facilitates, Samuel
Owusu and Grace Kelly-Ng are members, everyone has signed) has RL1's stages and 3 case pupils.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from lsweb import live
from lsweb.demo import seed_demo
from lsweb.extensions import db
from lsweb.models import StudyGroup

from .conftest import assert_no_axe_violations, fractions_lesson_id, sign_in

pytestmark = pytest.mark.browser

HANNAH, SAMUEL, GRACE = "teacher1@demo.local", "teacher2@demo.local", "teacher3@demo.local"
NAMES = {HANNAH: "Hannah Lee", SAMUEL: "Samuel Owusu", GRACE: "Grace Kelly-Ng"}
SEEN_MS = 1_000  # "each sees the others' characters within 1 s of each keystroke"
STATUS = "[data-coedit-status]"


@pytest.fixture
def lesson(live_server):
    """The demo network in the live server's database; returns RL2's id."""
    with live_server.app.app_context():
        seed_demo()
        found = fractions_lesson_id(2)
        db.session.remove()
    return found


def goto_plan(page, lesson_id: int):
    """Open the plan and wait until the co-editing client has synced with the server."""
    page.goto(f"/lessons/{lesson_id}")
    page.wait_for_function("() => window.lswebCoedit && window.lswebCoedit.transport.synced")
    return page


def open_plan(new_context, email: str, lesson_id: int, **options):
    """A new person (own browser context) signed in, on the plan."""
    page = sign_in(new_context(**options), email)
    if options.get("java_script_enabled", True) is False:
        page.goto(f"/lessons/{lesson_id}")
        return page
    return goto_plan(page, lesson_id)


def wait_for_streams(server, lesson_id: int, count: int, timeout: float = 5.0) -> None:
    broker = live.get_broker(server.app)
    deadline = time.monotonic() + timeout
    while broker.subscriber_count(f"lesson-{lesson_id}") < count:
        assert time.monotonic() < deadline, "the plan pages did not open their live streams"
        time.sleep(0.02)


def box(page, key: str):
    return page.locator(f'textarea[data-coedit-box="{key}"]')


def stage_keys(page) -> list[str]:
    return page.locator("[data-coedit-stage-list] fieldset.stage:visible").evaluate_all(
        "rows => rows.map(row => row.dataset.stageKey)")


def printed(page, lesson_id: int) -> str:
    """The observation sheet as the server prints it now (the derived plain text)."""
    return page.request.get(f"/lessons/{lesson_id}/print").text()


def saved(page) -> None:
    expect(page.locator(STATUS)).to_have_text("Saved")


# In-page watcher: the first time each token ("A12.") is seen in a box, by this page's clock.
WATCH = """([key]) => {
  window.__seen = {};
  const el = document.querySelector(`textarea[data-coedit-box="${key}"]`);
  setInterval(() => {
    for (const m of el.value.matchAll(/([A-C]\\d+)\\./g)) {
      if (!(m[1] in window.__seen)) { window.__seen[m[1]] = Date.now(); }
    }
  }, 5);
}"""


@pytest.mark.xfail(strict=False, reason="issue 14 open: under load a keystroke can take over 1 s to reach "
                   "the others (one update in flight per tab) and a remote caret can be missing at the end")
def test_three_people_type_into_one_box_and_see_each_other_while_typing(live_server, lesson, new_context):
    people = [HANNAH, SAMUEL, GRACE]
    pages = [open_plan(new_context, email, lesson) for email in people]
    wait_for_streams(live_server, lesson, 3)
    key = "intentions"
    for i, page in enumerate(pages):
        box(page, key).click()
        box(page, key).press("Control+Home" if i == 1 else "Control+End")
        page.evaluate(WATCH, [key])
    letters = "ABC"
    typed: dict[str, float] = {}   # token -> when its last letter was typed (ms, same clock as pages)
    counts, pending = [0, 0, 0], ["", "", ""]
    started = time.time()
    while time.time() - started < 10 or any(pending):
        for i, page in enumerate(pages):
            if not pending[i]:
                if time.time() - started >= 10:
                    continue
                pending[i] = f"{letters[i]}{counts[i]}. "
                counts[i] += 1
            char, pending[i] = pending[i][0], pending[i][1:]
            page.keyboard.type(char)
            if char == ".":
                typed[f"{letters[i]}{counts[i] - 1}"] = time.time() * 1000
    for page in pages:
        saved(page)
    deadline = time.monotonic() + 5  # each page saved its own; the others' last letters may be on the way
    while len({box(page, key).input_value() for page in pages}) > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    texts = [box(page, key).input_value() for page in pages]
    assert texts[0] == texts[1] == texts[2]
    for i, letter in enumerate(letters):
        tokens = [int(n) for n in re.findall(rf"{letter}(\d+)\.", texts[0])]
        assert tokens == list(range(counts[i])), f"{NAMES[people[i]]}'s run is incomplete or out of order"
    assert min(counts) >= 10
    late = []
    for i, page in enumerate(pages):
        seen = page.evaluate("() => window.__seen")
        for token, at in typed.items():
            if token[0] != letters[i]:
                assert token in seen, f"{token} never appeared on {NAMES[people[i]]}'s screen"
                if seen[token] - at > SEEN_MS:
                    late.append((token, NAMES[people[i]], round(seen[token] - at)))
    assert not late, f"seen later than {SEEN_MS} ms: {late[:10]}"
    # remote carets name the others, in this box
    for i, page in enumerate(pages):
        others = {NAMES[p] for j, p in enumerate(people) if j != i}
        expect(page.locator(".coedit-caret-name")).to_have_count(2)
        assert set(page.locator(".coedit-caret-name").all_inner_texts()) == others
    # the server has it all
    sheet = printed(pages[0], lesson)
    assert all(f"{token}." in sheet for token in typed)


def test_who_is_here_and_their_carets_and_a_closed_tab_is_gone_within_10_s(live_server, lesson, new_context):
    hannah = open_plan(new_context, HANNAH, lesson)
    samuel = open_plan(new_context, SAMUEL, lesson)
    people = hannah.locator("[data-coedit-presence] li")
    expect(people).to_have_count(2)
    expect(people.nth(0)).to_have_text("Hannah Lee (you)")
    box(samuel, "criteria").click()
    expect(people.nth(1)).to_contain_text("Samuel Owusu")
    expect(people.nth(1)).to_contain_text("in ")
    caret = hannah.locator(".coedit-caret-name")
    expect(caret).to_have_text("Samuel Owusu")
    # the caret sits over the criteria box, and the box did not move when it appeared
    target = box(hannah, "criteria").bounding_box()
    mark = hannah.locator(".coedit-caret").bounding_box()
    assert target["x"] <= mark["x"] <= target["x"] + target["width"]
    assert target["y"] <= mark["y"] <= target["y"] + target["height"]
    samuel.close(run_before_unload=True)
    expect(people).to_have_count(1, timeout=10_000)
    expect(caret).to_have_count(0)


def test_ctrl_z_undoes_only_ones_own_last_run_and_ctrl_y_redoes(live_server, lesson, new_context):
    hannah = open_plan(new_context, HANNAH, lesson)
    samuel = open_plan(new_context, SAMUEL, lesson)
    wait_for_streams(live_server, lesson, 2)
    key = "resources"
    box(hannah, key).fill("")
    time.sleep(1)  # clearing the box is a run of its own
    box(hannah, key).press_sequentially("Bar models. ", delay=20)
    time.sleep(1)  # a pause: the next words are a new run
    box(hannah, key).press_sequentially("Fraction walls.", delay=20)
    expect(box(samuel, key)).to_have_value("Bar models. Fraction walls.")
    box(samuel, key).click()
    box(samuel, key).press("Control+Home")
    box(samuel, key).press_sequentially("Cubes. ", delay=20)
    expect(box(hannah, key)).to_have_value("Cubes. Bar models. Fraction walls.")
    box(hannah, key).press("Control+z")
    expect(box(hannah, key)).to_have_value("Cubes. Bar models. ")
    expect(box(samuel, key)).to_have_value("Cubes. Bar models. ")
    box(hannah, key).press("Control+y")
    expect(box(samuel, key)).to_have_value("Cubes. Bar models. Fraction walls.")
    box(hannah, key).press("Control+z")
    box(hannah, key).press("Control+z")
    expect(box(samuel, key)).to_have_value("Cubes. ")  # Samuel's words are not Hannah's to undo
    box(hannah, key).press("Control+Shift+z")
    expect(box(samuel, key)).to_have_value("Cubes. Bar models. ")
    saved(hannah)


def test_offline_typing_survives_a_closed_tab_and_arrives_when_the_network_is_back(live_server, lesson,
                                                                                  new_context):
    context = new_context()
    hannah = goto_plan(sign_in(context, HANNAH), lesson)
    samuel = open_plan(new_context, SAMUEL, lesson)
    wait_for_streams(live_server, lesson, 2)
    context.set_offline(True)
    box(hannah, "aspect").click()
    box(hannah, "aspect").press("Control+End")
    box(hannah, "aspect").press_sequentially(" Written on the train.", delay=20)
    expect(hannah.locator(STATUS)).to_have_text("Not saved yet — no connection")
    box(samuel, "aspect").click()
    box(samuel, "aspect").press("Control+Home")
    box(samuel, "aspect").press_sequentially("Meanwhile: ", delay=20)
    saved(samuel)
    assert "Written on the train" not in box(samuel, "aspect").input_value()
    hannah.close()
    context.set_offline(False)
    again = context.new_page()
    again.goto(f"/lessons/{lesson}")
    expect(box(samuel, "aspect")).to_have_value(re.compile("Written on the train"), timeout=5_000)
    expect(box(again, "aspect")).to_have_value(box(samuel, "aspect").input_value())
    assert box(again, "aspect").input_value().startswith("Meanwhile: ")
    saved(again)
    assert "Written on the train." in printed(again, lesson)
    # the device forgets the edits once the server has them
    kept = again.evaluate("""async () => {
      const db = await new Promise((ok) => { const r = indexedDB.open("lsweb-coedit-u" +
        document.querySelector("[data-coedit-doc]").dataset.coeditUserId); r.onsuccess = () => ok(r.result); });
      return await new Promise((ok) => { const r = db.transaction("pending").objectStore("pending").count();
        r.onsuccess = () => ok(r.result); });
    }""")
    assert kept == 0


def test_signing_out_removes_the_edits_kept_on_the_device(live_server, lesson, new_context):
    context = new_context()
    hannah = goto_plan(sign_in(context, HANNAH), lesson)
    context.set_offline(True)
    box(hannah, "interview").press_sequentially("Not sent.", delay=10)
    expect(hannah.locator(STATUS)).to_have_text("Not saved yet — no connection")
    hannah.wait_for_timeout(400)
    names = "async () => (await indexedDB.databases()).map((d) => d.name)"
    assert any(name.startswith("lsweb-coedit-u") for name in hannah.evaluate(names))
    context.set_offline(False)
    hannah.get_by_role("button", name="Sign out").click()
    hannah.wait_for_url(re.compile(r"/login"))
    assert not any(name.startswith("lsweb-coedit-u") for name in hannah.evaluate(names))


def test_a_stage_removed_while_someone_types_in_it_keeps_every_letter_when_brought_back(live_server, lesson,
                                                                                      new_context):
    hannah = open_plan(new_context, HANNAH, lesson)
    samuel = open_plan(new_context, SAMUEL, lesson)
    wait_for_streams(live_server, lesson, 2)
    key = stage_keys(hannah)[1]
    activity = f"stage-{key}-activity"
    box(samuel, activity).fill("")
    box(samuel, activity).press_sequentially("Pairs fold paper strips ", delay=15)
    samuel_row = samuel.locator(f'fieldset[data-stage-key="{key}"]')
    hannah.locator(f'fieldset[data-stage-key="{key}"] [data-stage-action="remove"]').click()
    expect(hannah.locator(f'fieldset[data-stage-key="{key}"]')).to_be_hidden()
    expect(samuel_row.locator(".coedit-stage-note")).to_be_visible()   # still open for the typist
    box(samuel, activity).press_sequentially("into halves and quarters.", delay=15)
    saved(samuel)
    hannah.locator("[data-coedit-removed-stages] summary").click()
    hannah.locator("[data-coedit-removed-stages]").get_by_role("button", name=re.compile("Bring back")).click()
    expect(box(hannah, activity)).to_have_value("Pairs fold paper strips into halves and quarters.")
    expect(box(hannah, activity)).to_be_visible()
    assert stage_keys(hannah).index(key) == 1
    expect(samuel_row.locator(".coedit-stage-note")).to_have_count(0)
    saved(hannah)
    assert "Pairs fold paper strips into halves and quarters." in printed(hannah, lesson)


def test_stages_added_and_moved_reach_the_others(live_server, lesson, new_context):
    hannah = open_plan(new_context, HANNAH, lesson)
    samuel = open_plan(new_context, SAMUEL, lesson)
    wait_for_streams(live_server, lesson, 2)
    before = stage_keys(hannah)
    hannah.get_by_role("button", name="Add a stage").click()
    hannah.keyboard.type("5 min")  # the new stage's first box has the focus
    expect(samuel.locator("[data-coedit-stage-list] fieldset.stage:visible")).to_have_count(len(before) + 1)
    new_key = stage_keys(samuel)[-1]
    assert new_key not in before
    expect(box(samuel, f"stage-{new_key}-time")).to_have_value("5 min")
    samuel.locator(f'fieldset[data-stage-key="{before[0]}"] [data-stage-action="down"]').click()
    rows = hannah.locator("[data-coedit-stage-list] fieldset.stage:visible")
    expect(rows.first).to_have_attribute("data-stage-key", before[1])
    expect(rows.first.locator("legend")).to_have_text("Stage 1")
    assert stage_keys(hannah)[:2] == [before[1], before[0]]
    assert stage_keys(samuel) == stage_keys(hannah)


def test_details_and_observers_save_by_themselves_and_reach_the_others(live_server, lesson, new_context):
    hannah = open_plan(new_context, HANNAH, lesson)
    samuel = open_plan(new_context, SAMUEL, lesson)
    wait_for_streams(live_server, lesson, 2)
    room = '[data-coedit-detail="room"]'
    hannah.locator(room).fill("Maths room 2")
    observer = hannah.locator("select[data-coedit-observer]").first
    pupil = observer.get_attribute("data-coedit-observer")
    observer.select_option(label=NAMES[GRACE])
    expect(samuel.locator(room)).to_have_value("Maths room 2")
    chosen = observer.input_value()
    expect(samuel.locator(f'select[data-coedit-observer="{pupil}"]')).to_have_value(chosen)
    saved(hannah)
    for element in hannah.locator("[data-coedit-nojs]").all():
        expect(element).to_be_hidden()
    again = open_plan(new_context, GRACE, lesson)
    expect(again.locator(room)).to_have_value("Maths room 2")
    expect(again.locator(f'select[data-coedit-observer="{pupil}"]')).to_have_value(chosen)


def test_an_over_long_box_is_refused_with_a_note_beside_it_and_saved_once_shortened(live_server, lesson,
                                                                                   new_context):
    hannah = open_plan(new_context, HANNAH, lesson)
    target = box(hannah, "criteria")
    target.evaluate("(el) => el.removeAttribute('maxlength')")
    target.fill("x" * 5_001)
    expect(hannah.locator(STATUS)).to_have_text("Not saved yet — see the note by the box")
    note = hannah.locator(".coedit-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("5,000")
    target.press("End")
    target.press("Backspace")
    saved(hannah)
    expect(note).to_have_text("")


def test_a_member_added_during_the_meeting_stops_nobody(live_server, lesson, new_context):
    from lsweb.groups import services as groups
    from lsweb.models import GroupRole, User

    hannah = open_plan(new_context, HANNAH, lesson)
    samuel = open_plan(new_context, SAMUEL, lesson)
    wait_for_streams(live_server, lesson, 2)
    box(hannah, "aspect").press_sequentially(" Before.", delay=10)
    saved(hannah)
    with live_server.app.app_context():
        group = db.session.scalar(db.select(StudyGroup).where(StudyGroup.name == "Year 4 fractions"))
        facilitator = db.session.scalar(db.select(User).where(User.email == HANNAH))
        groups.add_member(facilitator, group, "teacher4@demo.local", GroupRole.MEMBER)
        db.session.remove()
    box(hannah, "aspect").press_sequentially(" After the newcomer.", delay=10)
    box(samuel, "intentions").press_sequentially(" Samuel too.", delay=10)
    expect(box(samuel, "aspect")).to_have_value(re.compile("After the newcomer"))
    expect(box(hannah, "intentions")).to_have_value(re.compile("Samuel too"))
    saved(hannah)
    saved(samuel)


def test_no_accessibility_violations_with_others_on_the_page(live_server, lesson, new_context):
    hannah = open_plan(new_context, HANNAH, lesson)
    samuel = open_plan(new_context, SAMUEL, lesson)
    box(samuel, "aspect").click()
    expect(hannah.locator(".coedit-caret-name")).to_have_text("Samuel Owusu")
    assert_no_axe_violations(hannah)
    status = hannah.locator(STATUS)
    assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"


def test_the_plan_works_with_the_keyboard_only(live_server, lesson, new_context):
    hannah = open_plan(new_context, HANNAH, lesson)
    keys = stage_keys(hannah)
    box(hannah, "aspect").focus()
    hannah.keyboard.press("Tab")
    assert hannah.evaluate("document.activeElement.dataset.coeditBox") == "intentions"
    hannah.keyboard.type("Typed with keys.")
    # reach "Add a stage" by Tab from the last stage's last box, and use it with Enter
    add = hannah.get_by_role("button", name="Add a stage")
    add.focus()
    hannah.keyboard.press("Enter")
    assert hannah.evaluate("document.activeElement.tagName") == "TEXTAREA"
    hannah.keyboard.type("10 min")
    new_key = stage_keys(hannah)[-1]
    assert new_key not in keys
    up = hannah.locator(f'fieldset[data-stage-key="{new_key}"] [data-stage-action="up"]')
    up.focus()
    hannah.keyboard.press("Enter")
    assert stage_keys(hannah).index(new_key) == len(keys) - 1
    assert hannah.evaluate("document.activeElement.dataset.stageAction") in {"up", "down"}
    box(hannah, "intentions").focus()
    hannah.keyboard.press("Control+z")
    assert "Typed with keys." not in box(hannah, "intentions").input_value()
    saved(hannah)


def test_at_tablet_size_the_plan_does_not_scroll_sideways(live_server, lesson, new_context):
    page = open_plan(new_context, HANNAH, lesson, viewport={"width": 768, "height": 1024})
    assert page.evaluate("document.documentElement.scrollWidth") <= 768


def test_without_javascript_the_whole_plan_saves_with_one_button(live_server, lesson, new_context):
    page = open_plan(new_context, SAMUEL, lesson, java_script_enabled=False)
    page.get_by_label("Learning intentions").fill("To show equivalent fractions with bar models.")
    page.get_by_role("button", name="Save the whole plan").click()
    page.goto(f"/lessons/{lesson}")
    expect(page.get_by_label("Learning intentions")).to_have_value("To show equivalent fractions with bar models.")


def test_an_input_method_composition_is_not_broken_by_others_typing(live_server, lesson, new_context):
    """Japanese typed through an IME while someone else types in the same box: nothing is sent or
    replaced during the composition; afterwards both texts are there, in both browsers."""
    hannah = open_plan(new_context, HANNAH, lesson)
    samuel = open_plan(new_context, SAMUEL, lesson)
    wait_for_streams(live_server, lesson, 2)
    box(hannah, "aspect").fill("Place value")
    expect(box(samuel, "aspect")).to_have_value("Place value")
    ime = hannah.context.new_cdp_session(hannah)
    box(hannah, "aspect").press("End")
    ime.send("Input.imeSetComposition", {"text": "にほ", "selectionStart": 2, "selectionEnd": 2})
    box(samuel, "aspect").click()
    box(samuel, "aspect").press("Home")
    box(samuel, "aspect").press_sequentially("Samuel: ", delay=15)
    saved(samuel)
    assert box(hannah, "aspect").input_value() == "Place valueにほ"   # the composition is left alone
    ime.send("Input.imeSetComposition", {"text": "にほん", "selectionStart": 3, "selectionEnd": 3})
    ime.send("Input.insertText", {"text": "日本"})
    expect(box(samuel, "aspect")).to_have_value("Samuel: Place value日本")
    expect(box(hannah, "aspect")).to_have_value("Samuel: Place value日本")


def test_the_cycle_summary_is_co_edited_the_same_way(live_server, lesson, new_context):
    with live_server.app.app_context():
        group_id = db.session.scalar(db.select(StudyGroup.id).where(StudyGroup.name == "Year 4 fractions"))
    pages = []
    for email in (HANNAH, SAMUEL):
        page = sign_in(new_context(), email)
        page.goto(f"/groups/{group_id}/cycles/1/summary")
        page.wait_for_function("() => window.lswebCoedit && window.lswebCoedit.transport.synced")
        pages.append(page)
    hannah, samuel = pages
    target = hannah.get_by_label("What we learned about these pupils' learning")
    key = target.get_attribute("data-coedit-box")
    target.fill("")
    target.press_sequentially("Folding strips helped.", delay=15)
    expect(box(samuel, key)).to_have_value("Folding strips helped.")
    box(samuel, key).press("End")
    box(samuel, key).press_sequentially(" Talk partners too.", delay=15)
    expect(target).to_have_value("Folding strips helped. Talk partners too.")
    saved(hannah)
    saved(samuel)
    assert_no_axe_violations(hannah)
