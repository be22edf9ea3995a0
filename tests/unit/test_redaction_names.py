"""The name scan before publishing: names of every language are listed, ordinary summaries raise few items.

The rates measured here are recorded in docs/quality.md ("Privacy"); change both together.
"""

from lsweb.extensions import db
from lsweb.sharing import names, redaction, summaries

from ..sharing_setup import LEARNING, written_summary
from .redaction_corpus import NAMES, ORDINARY, TEMPLATES

SUBJECT = {"fractions", "fraction", "pupil", "pupils", "numicon", "cuisenaire", "ncetm", "eef", "art", "design",
           "phonics", "science", "reading", "writing", "spelling", "rl"}


def _found(name: str, text: str) -> bool:
    return names.fold(name) in {names.fold(word) for word in names.suspects(text, SUBJECT)}


def test_names_of_many_languages_are_flagged_wherever_they_stand():
    assert len(NAMES) >= 60
    missed = [(name, template) for name in NAMES for template in TEMPLATES
              if not _found(name, template.format(name=name))]
    rate = 1 - len(missed) / (len(NAMES) * len(TEMPLATES))
    print(f"names flagged: {rate:.1%} of {len(NAMES) * len(TEMPLATES)}")
    assert rate >= 0.98, missed


def test_known_first_names_are_flagged_in_lower_case_unless_they_are_common_words():
    lowered = [name for name in NAMES if name.lower() != name]
    missed = [name for name in lowered if not _found(name.lower(), f"we asked {name.lower()} to explain.")]
    print(f"lower-case names flagged: {1 - len(missed) / len(lowered):.1%} of {len(lowered)}: missed {missed}")
    for name in ("zoë", "chloé", "josé", "jayden", "siobhán", "łukasz", "fatima", "sophie"):
        assert _found(name, f"then {name} said it was a half."), name
    assert len(missed) / len(lowered) <= 0.25


def test_ordinary_summaries_raise_few_items():
    words = sum(len(names.WORD.findall(text)) for text in ORDINARY)
    alarms = {text: list(names.suspects(text, SUBJECT)) for text in ORDINARY}
    alarmed = {text: found for text, found in alarms.items() if found}
    print(f"ordinary summaries with an item: {len(alarmed)} of {len(ORDINARY)}; "
          f"words flagged: {sum(map(len, alarmed.values()))} of {words}: {alarmed}")
    assert len(ORDINARY) >= 40
    assert len(alarmed) <= 3


def test_months_that_are_names_are_judged_in_context():
    assert list(names.suspects("In May we taught RL2; by June 12 the group met.", SUBJECT)) == []
    assert list(names.suspects("Later, April and June compared their strips.", SUBJECT)) == ["April", "June"]


def test_the_check_before_publishing_lists_accented_lower_case_and_sentence_start_names(factories):
    team = written_summary(factories)
    text = (LEARNING + " Will counted on his fingers. Ruby and Zoë used strips; chloé, Łukasz and O'Neill"
            " drew them. McDonald's table asked DeShawn. Mr Smith watched.")
    summaries.save_field(team.lead, team.cycle, "learning", text)
    db.session.commit()
    words = {item.what for item in redaction.items(team.cycle) if item.kind == "word"}
    assert {"Will", "Ruby", "Zoë", "chloé", "Łukasz", "O'Neill", "McDonald", "DeShawn", "Smith"} <= words
    assert not words & {"Pupils", "Asking", "Next", "Pupil", "Mr"}
