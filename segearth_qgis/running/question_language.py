"""Whether a question is (mostly) English: SegEarth-R1 was trained on English questions (Phi-1.5 reads English),
while the plugin's interface also speaks French and Chinese. A question in another language or script still runs; the
answer then carries one line saying that the model reads English and the answer may be unreliable.

A cheap rule, no language model: mostly letters of a non-Latin script (Chinese, Cyrillic, Arabic, ...), or Latin
words where the function words and accented words of the languages below outnumber English function words.
"""

from __future__ import annotations

import re
import unicodedata

from ..common.translation import tr

ENGLISH = frozenset(
    "a an the of in on at to into onto from by for with without near next across along around over under between "
    "and or not no is are was were be been can could would should may might will which what where who whose how "
    "there here this that these those all any some each every its it their them they i me my show find segment "
    "small large big".split())
#: frequent function words of French, Spanish, Portuguese, Italian, German and Dutch that are not English words
OTHER = frozenset(
    "le la les un une des du de au aux où ou est et sont dans sur sous avec pour par qui que quel quelle quels "
    "quelles peut pourrait il ils elle elles ce cette ces près petit petite grand grande "
    "el los las una unos unas dónde donde y en con para por puede podría del al "
    "os uma um onde pode poderia com em no na nos nas do da dos das "
    "il lo gli dove può potrebbe nel nella della delle degli "
    "der die das ein eine einen wo und mit auf ist sind im kann könnte nicht von zu bei "
    "het een waar en kan zijn van".split()) - ENGLISH
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _latin(char: str) -> bool:
    return unicodedata.name(char, "").startswith("LATIN")


def reads_as_english(question: str) -> bool:
    """False when the question is mostly in another script, or in a Latin-script language other than English."""
    letters = [c for c in question if c.isalpha()]
    if not letters:
        return True
    if sum(not _latin(c) for c in letters) > 0.3 * len(letters):
        return False
    words = [w.lower() for w in _WORD.findall(question)]
    english = sum(w in ENGLISH for w in words)
    other = sum(w in OTHER or any(not c.isascii() for c in w) for w in words)
    return other <= english


def language_note(question: str) -> str:
    """The line shown under the answer to a question the model may not read well; "" for English."""
    if reads_as_english(question):
        return ""
    return tr("The model was trained on English questions: this answer to a question in another language may be "
              "unreliable.")
