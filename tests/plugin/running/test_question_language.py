"""A question the model may not read well (SegEarth-R1 reads English): a Chinese or French question still runs, and one
line under the answer, in the interface's language, says the answer may be unreliable. Real QGIS, real engine, the
tiny model, the real compiled translations."""

from __future__ import annotations

import pytest

from tests.plugin.conftest import ask

pytestmark = pytest.mark.usefixtures("engine_available")
CHINESE = "飞机可以在哪里降落？"
FRENCH = "Où un petit avion pourrait-il atterrir ?"
NOTES = {
    "en": "The model was trained on English questions: this answer to a question in another language may be "
          "unreliable.",
    "fr": "Le modèle a été entraîné sur des questions en anglais : cette réponse à une question posée dans une autre "
          "langue peut être peu fiable.",
    "zh_CN": "该模型是用英文问题训练的：用其他语言提问得到的答案可能不可靠。",
}


def _ask(plugin, raster, model, question: str, wait_task):
    task = ask(plugin, raster, model, question)
    wait_task(task, 300)
    assert task.error is None and not task.cancelled, task.error
    return task


@pytest.mark.parametrize(("question", "english"), [
    ("where could a small plane land?", True), ("segment the flooded fields near the river", True),
    ("the runway near Zürich", True), (CHINESE, False), (FRENCH, False), ("les bâtiments près de la rivière", False),
    ("¿Dónde puede aterrizar un avión pequeño?", False), ("Где может приземлиться самолёт?", False)])
def test_questions_mostly_in_another_language_or_script_are_told_apart(question, english):
    from segearth_qgis.running.question_language import reads_as_english

    assert reads_as_english(question) is english


@pytest.mark.parametrize(("locale", "question"), [("zh_CN", CHINESE), ("fr", FRENCH), ("en", CHINESE)])
def test_a_question_in_another_language_runs_with_one_translated_line_under_the_answer(
        plugin, rgbn_layer, tiny_model, wait_task, compiled, locale, question):
    from segearth_qgis.common.translation import install_translator, remove_translator

    install_translator(locale)
    try:
        _ask(plugin, rgbn_layer, tiny_model, question, wait_task)
        note = plugin.dock.note
        assert plugin.last_result_layer is not None and plugin.last_result_layer.name() == question
        assert note.text() == NOTES[locale] and not note.isHidden()
        assert "\n" not in note.text()
    finally:
        remove_translator()


def test_an_english_question_has_no_such_line_and_a_new_run_clears_it(plugin, rgbn_layer, tiny_model, wait_task):
    _ask(plugin, rgbn_layer, tiny_model, FRENCH, wait_task)
    assert not plugin.dock.note.isHidden()
    _ask(plugin, rgbn_layer, tiny_model, "where could a small plane land?", wait_task)
    assert plugin.dock.note.text() == "" and plugin.dock.note.isHidden()
