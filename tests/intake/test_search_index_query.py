"""The query staff search asks of the index of hub-prefixed words (intake.search): it finds at least what
the typed query finds, in the hub alone (issue 13). PostgreSQL's own answers are in test_search_hub_lexemes."""

import pytest

from intake.search import UnreadableQuery, index_query


@pytest.mark.parametrize(("typed", "asked"), [
    ("'remot' & 'monitor'", "('7:remot' & '7:monitor')"),
    ("'remot' | 'telehealth'", "('7:remot' | '7:telehealth')"),
    # A phrase needs positions, which the index has not: both words, and the row is checked after.
    ("'remot' <-> 'monitor'", "('7:remot' & '7:monitor')"),
    ("'remot' <2> 'monitor'", "('7:remot' & '7:monitor')"),
    ("'heart' & !'cancer'", "('7:heart' & !'7:cancer')"),
    # A negated phrase excludes fewer rows than "neither word": it is left to the check of each row.
    ("!( 'remot' <-> 'monitor' ) & 'heart'", "'7:heart'"),
    # Only "not" words: the hub's own word keeps it to the hub.
    ("!'cancer'", "'7:' & !'7:cancer'"),
    ("!( 'remot' <-> 'monitor' )", "'7:'"),
    ("'remot' <-> !'monitor'", "'7:remot'"),
    ("'o''brien' & 'back\\\\slash'", "('7:o''brien' & '7:back\\\\slash')"),
    ("'tele':* & 'heart':AB", "('7:tele':* & '7:heart')"),
    ("( 'a' | 'b' ) & 'c'", "(('7:a' | '7:b') & '7:c')"),
    # PostgreSQL's precedence: | then & then <-> then !, each read left to right.
    ("'a' | 'b' & 'c' <-> 'd'", "('7:a' | ('7:b' & ('7:c' & '7:d')))"),
    ("'a' | 'b' | 'c'", "(('7:a' | '7:b') | '7:c')"),
    ("!'a' <-> 'b'", "'7:b'"),
])
def test_the_typed_query_is_asked_in_the_hubs_own_words(typed, asked):
    assert index_query(typed, 7) == asked


def test_every_word_asked_is_the_hubs_however_the_words_are_spelt():
    # A word typed as another hub's ("12:remot") is still hub 7's: "7:12:remot" is no word of hub 12's.
    asked = index_query("'12:remot' & !'12:' | '7'", 7)
    words = [part for part in asked.replace("(", " ").replace(")", " ").split() if part.startswith("'")]
    assert words and all(word.startswith("'7:") for word in words)


@pytest.mark.parametrize("text", ["'remot' &", "( 'a' & 'b'", "'a' 'b'", "remot", "'a' & )"])
def test_text_that_is_not_a_tsquery_is_refused_not_guessed(text):
    with pytest.raises(UnreadableQuery):
        index_query(text, 7)
