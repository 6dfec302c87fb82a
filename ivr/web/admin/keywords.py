"""Words callers said that reached no office, shown on the figures page; an editor adds one as a unit's keyword,
checked and published as a menus version like every other edit, after which the router knows it."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import abort, request
from flask.typing import ResponseReturnValue
from wtforms import SelectField, StringField

from ivr.core.model import LANGS, Lang
from ivr.core.names import unit_name
from ivr.core.router import normalise
from ivr.menu_edits import EditError, add_keyword, read_texts, value_at
from ivr.store.report import missed_sentences
from ivr.web.admin import bp, hotline, lang, records, requires
from ivr.web.admin.edits import EditForm, _page, live_dir, refusal, review
from ivr.web.admin.i18n import translate

MISSED_SHOWN = 50
MAX_KEYWORD = 20  # one short phrase; the recogniser's hints take phrases of at most 100 characters
SENTENCE_SHOWN = 200  # the records keep 300 characters of a sentence; a page row shows this many
# What each language's keywords are written in, by the start of the characters' Unicode names.
SCRIPTS: Mapping[str, tuple[str, ...]] = {"zh": ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"),
                                          "ko": ("HANGUL SYLLABLE",)}


class KeywordForm(EditForm):
    """The office a sentence meant and the word of it to add to that office's keywords."""

    unit = SelectField(choices=[], validate_choice=False)
    word = StringField()


def missed(since: date, until: date) -> list[dict[str, Any]]:
    """Return the period's sentences that reached no office or were corrected, newest first, at most 50, with
    the offices offered by name and the word an editor would add."""
    current, shown = hotline(), lang()
    rows = missed_sentences(records(), since, until, MISSED_SHOWN)
    for row in rows:
        spoken = row["language"] if row["language"] in LANGS else _script_lang(row["sentence"])
        row["language"] = spoken
        row["offered_names"] = [unit_name(current, unit_id, shown) for unit_id in row["offered"]]
        row["word"] = suggested_word(row["sentence"], spoken)
    return rows


def suggested_word(sentence: str, spoken: Lang) -> str:
    """Return the sentence's words without fillers, punctuation or masked digits, cut to a keyword's length."""
    words = normalise(sentence, spoken).split()
    kept = " ".join(w for w in ("".join(ch for ch in word if _in_script(ch, spoken)) for word in words) if w)
    if spoken == "zh":
        kept = kept.replace(" ", "")  # Mandarin is written without spaces
    return kept[:MAX_KEYWORD].strip()


def keyword_problem(word: str, spoken: Lang) -> str | None:
    """Say what is wrong with a keyword for a language (empty, too long, another script), or None."""
    if not word:
        return translate("keyword_required", lang())
    if len(word) > MAX_KEYWORD:
        return translate("keyword_too_long", lang(), n=MAX_KEYWORD, length=len(word))
    if not all(_in_script(ch, spoken) or (ch == " " and spoken == "ko") for ch in word):
        return translate(f"keyword_script_{spoken}", lang())
    return None


def _in_script(ch: str, spoken: Lang) -> bool:
    return unicodedata.name(ch, "").startswith(SCRIPTS[spoken])


def _script_lang(sentence: str) -> Lang:
    return "ko" if any(_in_script(ch, "ko") for ch in sentence) else "zh"


def unit_choices() -> list[tuple[str, str]]:
    """Return every unit as (id, name in the console's language), in the menus' order."""
    return [(unit.id, unit.name(lang())) for unit in hotline().units.values()]


@bp.route("/figures/keyword/<spoken>", methods=["GET", "POST"])
@requires("editor")
def add_word(spoken: str) -> ResponseReturnValue:
    """Add a word callers said in a language to a unit's keywords in units.yaml: checked, then published."""
    if spoken not in LANGS:
        abort(404)
    said: Lang = "zh" if spoken == "zh" else "ko"
    form = KeywordForm(request.form if request.method == "POST" else None,
                       data={"unit": request.args.get("unit", ""), "word": request.args.get("word", "")})
    form.unit.choices = unit_choices()
    form.unit.label.text = translate("keyword_unit", lang())
    form.word.label.text = translate(f"keyword_word_{said}", lang())
    title = translate("add_keyword", lang())
    fields = [form.unit, form.word]
    if request.method == "GET":
        return _page(title, form, fields)
    word = " ".join(unicodedata.normalize("NFKC", str(form.word.data or "")).split())
    form.word.data = word
    unit_id = str(form.unit.data or "")
    current = read_texts(live_dir())
    try:
        known = value_at(current["units.yaml"], "units", unit_id)
    except EditError as exc:  # units.yaml as it is in the folder does not parse: the raw editor mends it
        return _page(title, form, fields, form_errors={"": [refusal(exc)]})
    problem = keyword_problem(word, said)
    errors: dict[str, list[str]] = {"word": [problem]} if problem else {}
    if not isinstance(known, dict):
        errors["unit"] = [translate("keyword_pick_unit", lang())]
    elif not problem and word in [str(k) for k in known.get("keywords") or []]:
        errors["word"] = [translate("keyword_known", lang(), word=word)]
    if errors:
        return _page(title, form, fields, form_errors=errors)
    try:
        candidate = {"units.yaml": add_keyword(current["units.yaml"], unit_id, word)}
    except EditError as exc:
        return _page(title, form, fields, form_errors={"": [refusal(exc)]})
    summary = translate("sum_keyword", lang(), unit=unit_name(hotline(), unit_id, lang()), word=word)
    return propose(title, form, fields, current, candidate, {"word": f"units.{unit_id}.keywords"}, summary)


def propose(title: str, form: EditForm, fields: list[Any], current: Mapping[str, str],
            candidate: Mapping[str, str], paths: Mapping[str, str], summary: str) -> ResponseReturnValue:
    """Hand a candidate to the console's edit flow: checked in a scratch folder as `ivr validate` checks, shown
    with its problems or its difference and the publish button, published from the form's base version.

    The one place this page meets the edit flow, so that a change of that flow changes only this function.
    """
    return _page(title, form, fields, review(current, candidate, paths, summary=summary))
