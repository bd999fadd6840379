"""Product search: typo tolerant, ranked by text match blended with behaviour.

Two retrieval paths share one ranking:
- PostgreSQL: full-text search (``SearchVector``/``SearchRank``, weighted name > category/brand >
  description) plus ``pg_trgm`` similarity on the name, for candidates;
- SQLite (the embedded demo): an in-process inverted index over the active catalog.

Both correct misspelt query words against the catalog vocabulary first (``difflib``, so
"jackte" -> "jacket"), then blend the text score with popularity and what shoppers did after
the same search (clicks = product views reached from that query, add-to-cart and purchases),
read from ``customers.Event`` and cached for a few minutes. Sold-out matches come last.
"""

from __future__ import annotations

import difflib
import math
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from catalog.models import Category, Product, Stock
from customers.models import Event

TEXT_WEIGHT = 0.60
POPULARITY_WEIGHT = 0.15
BEHAVIOUR_WEIGHT = 0.25
BEHAVIOUR_HALF = 5.0  # weighted actions after which the behaviour signal is half its maximum
FIELD_WEIGHTS = {"name": 3.0, "category": 2.0, "brand": 2.0, "description": 0.6}
FUZZY_CUTOFF = 0.74
POSTGRES_CANDIDATES = 400
TRIGRAM_MIN = 0.5  # word similarity for a name the index did not match to count
SIGNALS_TTL = 300  # seconds; behaviour changes slowly, a search must not scan events
SIGNALS_WINDOW_DAYS = 90
SOLD_OUT_TTL = 30  # seconds; a product that just sold out may keep its rank that long
_TOKEN = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(["a", "an", "and", "the", "of", "for", "with", "in", "on", "to", "by"])


def _stem(token: str) -> str:
    # Plural folding is enough for a product catalog ("jackets" -> "jacket", "boxes" -> "box").
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 4 and token.endswith(("ses", "xes", "zes", "ches", "shes")):
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def tokens(text: str) -> list[str]:
    return [_stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]


def normalise_query(query: str) -> str:
    return " ".join(tokens(query))


@dataclass
class _Doc:
    product_id: int
    fields: dict[str, set[str]]
    popularity: float


@dataclass
class _Index:
    stamp: tuple[object, ...]
    docs: dict[int, _Doc]
    postings: dict[str, dict[int, float]]  # term -> product id -> best field weight
    doc_freq: Counter[str]
    vocabulary: list[str]
    names: dict[int, str] = field(default_factory=dict)
    max_log_popularity: float = 1.0
    by_length: dict[int, list[str]] = field(default_factory=dict)
    corrections: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    def idf(self, term: str) -> float:
        n = max(len(self.docs), 1)
        return math.log(1 + n / (1 + self.doc_freq.get(term, 0)))


_index_lock = threading.Lock()
_index: _Index | None = None


def _catalog_stamp() -> tuple[object, ...]:
    agg = Product.objects.filter(is_active=True).aggregate(n=Count("pk"), last=Max("updated_at"))
    categories = Category.objects.aggregate(n=Count("pk"), last=Max("pk"))
    return (agg["n"], agg["last"], categories["n"], categories["last"])


def _build_index(stamp: tuple[object, ...]) -> _Index:
    docs: dict[int, _Doc] = {}
    postings: dict[str, dict[int, float]] = defaultdict(dict)
    doc_freq: Counter[str] = Counter()
    names: dict[int, str] = {}
    rows = Product.objects.filter(is_active=True).values_list(
        "pk",
        "name",
        "category__name",
        "category__parent__name",
        "brand__name",
        "description",
        "popularity",
    )
    for pk, name, category, parent, brand, description, popularity in rows:
        fields = {
            "name": set(tokens(name)),
            "category": set(tokens(f"{category} {parent or ''}")),
            "brand": set(tokens(brand or "")),
            "description": set(tokens(description or "")[:80]),
        }
        docs[pk] = _Doc(pk, fields, float(popularity or 0))
        names[pk] = name
        seen: set[str] = set()
        for field_name, terms in fields.items():
            weight = FIELD_WEIGHTS[field_name]
            for term in terms:
                if postings[term].get(pk, 0) < weight:
                    postings[term][pk] = weight
                seen.add(term)
        doc_freq.update(seen)
    max_pop = max((math.log1p(max(d.popularity, 0)) for d in docs.values()), default=1.0)
    by_length: dict[int, list[str]] = defaultdict(list)
    for term in postings:
        by_length[len(term)].append(term)
    return _Index(
        by_length=dict(by_length),
        stamp=stamp,
        docs=docs,
        postings=dict(postings),
        doc_freq=doc_freq,
        vocabulary=sorted(postings),
        names=names,
        max_log_popularity=max_pop or 1.0,
    )


def catalog_index() -> _Index:
    """The in-process index, rebuilt when the active catalog changes (one cheap query)."""
    global _index
    stamp = _catalog_stamp()
    if _index is not None and _index.stamp == stamp:
        return _index
    with _index_lock:
        if _index is None or _index.stamp != stamp:
            _index = _build_index(stamp)
    return _index


def index_reset() -> None:
    global _index
    _index = None


@dataclass(frozen=True)
class TermMatch:
    term: str
    weight: float  # 1.0 exact, less for a prefix or a corrected spelling


def expand_token(index: _Index, token: str, *, prefix: bool = False) -> list[TermMatch]:
    """Catalog terms a query word may mean: itself, completions (autocomplete), corrections."""
    matches: dict[str, float] = {}
    if token in index.postings:
        matches[token] = 1.0
    if prefix and len(token) >= 2:
        for term in _prefix_terms(index, token, limit=12):
            matches.setdefault(term, 0.85)
    if not matches and len(token) >= 3:
        for term, ratio in _corrections(index, token):
            matches[term] = 0.9 * ratio
    return [TermMatch(t, w) for t, w in matches.items()]


def _corrections(index: _Index, token: str) -> list[tuple[str, float]]:
    """Catalog words within a typo of ``token`` (memoised per index: shoppers repeat typos)."""
    found = index.corrections.get(token)
    if found is None:
        # A ratio >= FUZZY_CUTOFF is impossible beyond two characters of length difference.
        pool = [
            t for n in range(len(token) - 2, len(token) + 3) for t in index.by_length.get(n, [])
        ]
        found = [
            (term, difflib.SequenceMatcher(None, token, term).ratio())
            for term in difflib.get_close_matches(token, pool, n=4, cutoff=FUZZY_CUTOFF)
        ]
        if len(index.corrections) < 50_000:
            index.corrections[token] = found
    return found


def _prefix_terms(index: _Index, prefix: str, *, limit: int) -> list[str]:
    import bisect

    start = bisect.bisect_left(index.vocabulary, prefix)
    out: list[str] = []
    for term in index.vocabulary[start:]:
        if not term.startswith(prefix) or len(out) >= limit:
            break
        out.append(term)
    return out


def corrected_query(query: str, index: _Index | None = None) -> str:
    """The query as the catalog spells it ("jackte" -> "jacket")."""
    index = index or catalog_index()
    words = []
    for token in tokens(query):
        best = max(expand_token(index, token), key=lambda m: m.weight, default=None)
        words.append(best.term if best else token)
    return " ".join(words)


# --- behaviour signals --------------------------------------------------------------------------


def behaviour_signals() -> dict[str, dict[int, float]]:
    """Normalised query -> product id -> weighted count of what shoppers did after searching.

    View reached from a search (query on the view event) = 1, add to cart = 2, a purchase in
    the same session after viewing from that query = 3. Cached; ids and queries only.
    """
    cached = cache.get("search:signals:v1")
    if cached is not None:
        return cached
    since = timezone.now() - timedelta(days=SIGNALS_WINDOW_DAYS)
    signals: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    session_hits: dict[str, list[tuple[str, int]]] = defaultdict(list)
    rows = (
        Event.objects.filter(created_at__gte=since, product__isnull=False)
        .exclude(query="")
        .filter(type__in=[Event.Type.VIEW, Event.Type.ADD_TO_CART])
        .values_list("type", "session_id", "product_id", "query")[:200_000]
    )
    for type_, session_id, product_id, query in rows:
        q = normalise_query(query)
        if not q:
            continue
        signals[q][product_id] += 1.0 if type_ == Event.Type.VIEW else 2.0
        session_hits[session_id].append((q, product_id))
    if session_hits:
        purchases = Event.objects.filter(
            created_at__gte=since, type=Event.Type.PURCHASE, session_id__in=list(session_hits)
        ).values_list("session_id", flat=True)
        for session_id in purchases:
            for q, product_id in set(session_hits[session_id]):
                signals[q][product_id] += 3.0
    result = {q: dict(products) for q, products in signals.items()}
    cache.set("search:signals:v1", result, SIGNALS_TTL)
    return result


# --- ranking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchResult:
    product_ids: list[int]
    total: int
    corrected: str  # '' when the query was spelt as the catalog spells it
    backend: str


def _text_scores_index(index: _Index, words: list[str], *, prefix_last: bool) -> dict[int, float]:
    per_token: list[dict[int, float]] = []
    for i, token in enumerate(words):
        scores: dict[int, float] = {}
        for match in expand_token(index, token, prefix=prefix_last and i == len(words) - 1):
            idf = index.idf(match.term)
            for pk, field_weight in index.postings.get(match.term, {}).items():
                value = match.weight * field_weight * idf
                if value > scores.get(pk, 0.0):
                    scores[pk] = value
        per_token.append(scores)
    if not per_token:
        return {}
    # Every word must match (AND); if that leaves nothing, rank by any word (OR).
    common = set(per_token[0]).intersection(*per_token[1:])
    keys = common or set().union(*per_token)
    return {pk: sum(s.get(pk, 0.0) for s in per_token) for pk in keys}


def _text_scores_postgres(
    index: _Index, query: str, words: list[str]
) -> dict[int, float]:  # pragma: no cover - exercised by the postgres-marked tests
    """Candidates from the typo-correcting index plus names trigram-similar to the query
    (GIN ``gin_trgm_ops`` index, catalog migration 0003), ranked by PostgreSQL full-text rank
    (english stemming; name A, category/brand B, description C) and trigram word similarity.
    Ranking only the candidates keeps the query cheap however large the catalog is."""
    from django.contrib.postgres.search import (
        SearchQuery,
        SearchRank,
        SearchVector,
        TrigramWordSimilarity,
    )
    from django.db.models.expressions import RawSQL

    base = _text_scores_index(index, words, prefix_last=False)
    candidates = sorted(base, key=lambda pk: -base[pk])[:POSTGRES_CANDIDATES]
    similar_names = RawSQL(
        "SELECT id FROM catalog_product WHERE is_active AND %s <%% name LIMIT 200", (query,)
    )
    terms = [m.term for w in words for m in expand_token(index, w)] or words
    parts = [SearchQuery(t, config="english", search_type="plain") for t in dict.fromkeys(terms)]
    search_query = parts[0]
    for part in parts[1:]:
        search_query = search_query | part
    vector = (
        SearchVector("name", weight="A", config="english")
        + SearchVector("category__name", weight="B", config="english")
        + SearchVector("brand__name", weight="B", config="english")
        + SearchVector("description", weight="C", config="english")
    )
    rows = (
        Product.objects.filter(is_active=True)
        .filter(Q(pk__in=candidates) | Q(pk__in=similar_names))
        .annotate(rank=SearchRank(vector, search_query), sim=TrigramWordSimilarity(query, "name"))
        .values_list("pk", "rank", "sim")
    )
    top = max(base.values(), default=1.0) or 1.0
    scores = {}
    for pk, rank, sim in rows:
        if pk in base or float(sim) >= TRIGRAM_MIN:
            scores[pk] = base.get(pk, 0.0) / top + float(rank) + 0.5 * float(sim)
    return scores


def sold_out_ids() -> frozenset[int]:
    """Products with nothing available to sell (a few per cent of a catalogue), cached."""
    ids = cache.get("search:sold-out:v1")
    if ids is None:
        ids = frozenset(
            Stock.objects.filter(on_hand__lte=F("reserved")).values_list("product_id", flat=True)
        )
        cache.set("search:sold-out:v1", ids, SOLD_OUT_TTL)
    return ids


def _blend(index: _Index, text: dict[int, float], query: str) -> list[tuple[int, float]]:
    if not text:
        return []
    sold_out = sold_out_ids()
    top = max(text.values()) or 1.0
    behaviour = behaviour_signals().get(normalise_query(query), {})
    ranked = []
    for pk, score in text.items():
        doc = index.docs.get(pk)
        pop = math.log1p(max(doc.popularity, 0)) / index.max_log_popularity if doc else 0.0
        # Saturating, not relative: one stray click must not outrank the catalogue.
        acted = behaviour.get(pk, 0.0)
        beh = acted / (acted + BEHAVIOUR_HALF)
        ranked.append(
            (pk, TEXT_WEIGHT * score / top + POPULARITY_WEIGHT * pop + BEHAVIOUR_WEIGHT * beh)
        )
    # A shopper cannot buy a sold-out match: it goes after every match in stock, still found.
    ranked.sort(key=lambda item: (item[0] in sold_out, -item[1], item[0]))
    return ranked


def product_search(
    *, query: str, limit: int = 24, offset: int = 0, use_behaviour: bool = True
) -> SearchResult:
    """Ranked active product ids for ``query`` (typo tolerant); constant number of queries."""
    words = tokens(query)
    if not words:
        return SearchResult([], 0, "", "none")
    index = catalog_index()
    on_postgres = connection.vendor == "postgresql"
    if on_postgres:
        text = _text_scores_postgres(index, query, words)
    else:
        text = _text_scores_index(index, words, prefix_last=False)
    ranked = (
        _blend(index, text, query)
        if use_behaviour
        else sorted(text.items(), key=lambda item: (-item[1], item[0]))
    )
    corrected = corrected_query(query, index)
    if corrected == " ".join(words):
        corrected = ""
    return SearchResult(
        product_ids=[pk for pk, _ in ranked[offset : offset + limit]],
        total=len(ranked),
        corrected=corrected,
        backend="postgres" if on_postgres else "index",
    )


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "product" | "category"
    label: str
    product_id: int | None = None
    category_id: int | None = None


def autocomplete(*, prefix: str, limit: int = 8) -> list[Suggestion]:
    """Products (and categories) completing what the shopper has typed so far."""
    words = tokens(prefix)
    if not words:
        return []
    index = catalog_index()
    text = _text_scores_index(index, words, prefix_last=True)
    ranked = _blend(index, text, prefix)[:limit]
    suggestions = [Suggestion("product", index.names[pk], product_id=pk) for pk, _ in ranked]
    last = words[-1]
    categories = [
        Suggestion("category", name, category_id=pk)
        for pk, name in Category.objects.values_list("pk", "name")
        if any(t.startswith(last) for t in tokens(name))
    ][:3]
    return categories + suggestions[: max(limit - len(categories), 0)]


# --- evaluation ---------------------------------------------------------------------------------


def _typo(word: str, seed: int) -> str:
    """A deterministic keyboard slip: swap two adjacent letters, or drop/double one."""
    if len(word) < 4:
        return word
    i = 1 + seed % (len(word) - 2)
    kind = seed % 3
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def query_set_from_catalog(*, max_queries: int = 200) -> list[tuple[str, set[int]]]:
    """(query, relevant product ids) built from the catalog itself.

    For each frequent name word, the relevant set is the products whose name holds that word;
    each word is asked correctly and with a typo, as a shopper would.
    """
    index = catalog_index()
    name_terms: Counter[str] = Counter()
    for doc in index.docs.values():
        name_terms.update(t for t in doc.fields["name"] if len(t) >= 5 and not t.isdigit())
    queries: list[tuple[str, set[int]]] = []
    for i, (term, count) in enumerate(name_terms.most_common()):
        if count < 2 or len(queries) >= max_queries:
            break
        relevant = {pk for pk, doc in index.docs.items() if term in doc.fields["name"]}
        queries.append((term, relevant))
        queries.append((_typo(term, i), relevant))
    return queries


def evaluate(queries: list[tuple[str, set[int]]], *, k: int = 10) -> dict[str, float]:
    """Precision@k and MRR of ``product_search`` over a labelled query set."""
    precision, rr, zero = 0.0, 0.0, 0
    for query, relevant in queries:
        got = product_search(query=query, limit=k, use_behaviour=False).product_ids
        if not got:
            zero += 1
        hits = [pk in relevant for pk in got]
        precision += sum(hits) / min(k, len(relevant)) if relevant else 0.0
        rr += next((1 / (i + 1) for i, h in enumerate(hits) if h), 0.0)
    n = max(len(queries), 1)
    return {
        "queries": float(len(queries)),
        f"precision@{k}": precision / n,
        "mrr": rr / n,
        "zero_result_rate": zero / n,
    }
