"""Staff search's index query: the typed words, spelt as the hub's own words (PostgreSQL only).

The index `inquiry_search_hub_lexemes` (intake migration 0029) holds each sent inquiry's words prefixed
with its hub: "12:remot", "12:monitor", and "12:" alone for every inquiry of hub 12. "These words in this
hub" is then the short lists of those words, not every hub's lists of them intersected with the hub's
250,000 rows (1.2 against 6.3 ms for 7,200 matches at 1,000,000 inquiries over 4 hubs).

The index keeps neither positions nor weights, so it cannot answer a phrase ("remote monitoring" in
quotes) exactly. `index_query` therefore writes a query the index can answer that finds at least every
inquiry the typed query finds (a superset): a phrase becomes "both words", a negated phrase is dropped.
The search then checks the typed query itself on each row it reads (`search_vector @@ websearch...`),
which it reads anyway, so what is found is exactly what the typed query finds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# websearch_to_tsquery(...)::text, as PostgreSQL writes it: quoted lexemes (a quote doubled, a backslash
# doubled), an optional ":*" (prefix) or weights after one, & | ! ( ) and the phrase operators <-> and <N>.
_TOKEN = re.compile(r"\s*(?:(?P<lexeme>'(?:[^'\\]|''|\\.)*')(?P<flags>:[*A-Da-d]+)?|(?P<op><->|<\d+>|[&|!()]))")

TRUE, FALSE = ("true",), ("false",)

# A search is ranked by relevance when it matches at most this many of the hub's inquiries; past it the
# matches are listed newest first (intake.staff_views._paginator says why).
RANK_CAP = 1_000


class UnreadableQuery(ValueError):
    """The tsquery text is not what PostgreSQL writes (a bug here, never the person's typing)."""


@dataclass(frozen=True)
class Lexeme:
    quoted: str  # as PostgreSQL wrote it, quotes and escapes included
    prefix: bool


def parse(text: str):
    """A tsquery's text as a tree: Lexeme, ("not", x), ("and"|"or"|"phrase", a, b)."""
    tokens: list[Lexeme | str] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise UnreadableQuery(f"Cannot read the query at {position}: {text!r}")
        if match["lexeme"]:
            tokens.append(Lexeme(match["lexeme"], "*" in (match["flags"] or "")))
        else:
            tokens.append(match["op"])
        position = match.end()
    tree, rest = _or(tokens)
    if rest:
        raise UnreadableQuery(f"Unexpected {rest[0]!r} in {text!r}")
    return tree


# PostgreSQL's precedence, loosest first: | then & then <-> (and <N>) then !.
def _or(tokens):
    return _chain(tokens, _and, lambda part: part == "|", "or")


def _and(tokens):
    return _chain(tokens, _phrase, lambda part: part == "&", "and")


def _phrase(tokens):
    return _chain(tokens, _unary, lambda part: isinstance(part, str) and part.startswith("<"), "phrase")


def _chain(tokens, operand, is_operator, kind):
    """Operands joined by one kind of operator, read left to right: a | b | c is ((a | b) | c)."""
    left, tokens = operand(tokens)
    while tokens and is_operator(tokens[0]):
        right, tokens = operand(tokens[1:])
        left = (kind, left, right)
    return left, tokens


def _unary(tokens):
    if not tokens:
        raise UnreadableQuery("The query ends too soon")
    first, rest = tokens[0], tokens[1:]
    if first == "!":
        inner, rest = _unary(rest)
        return ("not", inner), rest
    if first == "(":
        inner, rest = _or(rest)
        if not rest or rest[0] != ")":
            raise UnreadableQuery("A bracket is not closed")
        return inner, rest[1:]
    if isinstance(first, Lexeme):
        return first, rest
    raise UnreadableQuery(f"Unexpected {first!r}")


def _both(kind, a, b):
    """a AND b or a OR b, with true and false worked out."""
    if kind == "and":
        if FALSE in (a, b):
            return FALSE
        return b if a == TRUE else a if b == TRUE else ("and", a, b)
    if TRUE in (a, b):
        return TRUE
    return b if a == FALSE else a if b == FALSE else ("or", a, b)


def _negate(a):
    return FALSE if a == TRUE else TRUE if a == FALSE else ("not", a)


def wider(node):
    """A query without positions that every document matching `node` matches (a superset)."""
    if isinstance(node, Lexeme):
        return node
    if node[0] == "not":
        return _negate(narrower(node[1]))
    if node[0] == "phrase":
        return _both("and", _in_phrase(node[1]), _in_phrase(node[2]))
    return _both(node[0], wider(node[1]), wider(node[2]))


def narrower(node):
    """A query without positions that only documents matching `node` match (a subset)."""
    if isinstance(node, Lexeme):
        return node
    if node[0] == "not":
        return _negate(wider(node[1]))
    if node[0] == "phrase":
        return FALSE  # nothing without positions says two words are next to each other
    return _both(node[0], narrower(node[1]), narrower(node[2]))


def _in_phrase(node):
    """What a phrase's part says of the document as a whole: its words are there; a "not" inside a phrase
    speaks of one position only, so it says nothing of the document."""
    if isinstance(node, Lexeme):
        return node
    if node[0] == "not":
        return TRUE
    kind = "and" if node[0] == "phrase" else node[0]
    return _both(kind, _in_phrase(node[1]), _in_phrase(node[2]))


def _needs_a_word(node) -> bool:
    """Whether every match of `node` must hold at least one of its words (else the hub's own word is
    needed to keep the index to the hub: "-cancer" alone is every inquiry of the hub without it)."""
    if isinstance(node, Lexeme):
        return True
    if node[0] == "not":
        return False
    if node[0] == "and":
        return _needs_a_word(node[1]) or _needs_a_word(node[2])
    return _needs_a_word(node[1]) and _needs_a_word(node[2])


def _write(node, hub_id: int) -> str:
    if isinstance(node, Lexeme):
        return f"'{hub_id}:{node.quoted[1:]}" + (":*" if node.prefix else "")
    if node[0] == "not":
        return "!" + _write(node[1], hub_id)
    operator = " & " if node[0] == "and" else " | "
    return "(" + _write(node[1], hub_id) + operator + _write(node[2], hub_id) + ")"


def hub_word(hub_id: int) -> str:
    """The word every inquiry of the hub has in the index, as tsquery text."""
    return f"'{hub_id}:'"


def index_query(tsquery_text: str, hub_id: int) -> str | None:
    """The tsquery text for the index of hub-prefixed words that finds every match of `tsquery_text`
    (websearch_to_tsquery's output) in the hub; None if nothing can match."""
    tree = wider(parse(tsquery_text))
    if tree == FALSE:
        return None
    if tree == TRUE:
        return hub_word(hub_id)
    written = _write(tree, hub_id)
    return written if _needs_a_word(tree) else f"{hub_word(hub_id)} & {written}"
