"""Names across scripts learnt from parallel text: mine, ship and measure the name-key table.

The ``names`` field keys every capitalised word by its transliteration skeleton
(`searchlib.text.translit.skeleton_key`). Conventional spellings that no letter-by-letter rule
derives (Trump/Трамп, Biden/Байден, Johnson/Джонсон, Kiev/Kyiv/Київ/Киев, Moscow/Москва,
Brexit/Брексит/Брекзит) are learnt here from text that says the same thing in two scripts:

- ``text/ntrex``: 1,997 English news sentences (WMT19) with their Russian and Ukrainian
  translations, line by line;
- ``text/wmt-general-test``: Russian and Ukrainian news/web documents with English references,
  line-aligned (~10k lines).

Mining: in each aligned sentence pair, the capitalised English words (not the first word of
the sentence) and the Cyrillic words (taken to their lemma as the ``names`` field does,
`name_lemma`) co-occur. Every
(English word, Cyrillic lemma) pair seen in at least `MIN_SENTENCES` sentence pairs is scored by
the Dice coefficient of their sentence sets times the similarity of their skeleton keys
(exonyms such as Germany/Германия still score, a name and an unrelated word in the same
sentences do not); pairs are then linked one to one, best first (competitive linking: once
``Trump`` has ``Трамп`` it cannot also take ``Дональд``). Linked pairs whose keys differ are
joined into equivalence classes; the table maps each key of a class to one key (the English
word's). It holds name keys only, no text.

Measured on names from another source, none used to build the table: the SlavicNER entities'
English ids with their most frequent Russian and Ukrainian lemma
(``qa/slavicner-entity-qrels/entity_docs.tsv``: ``PER-Donald-Trump`` / ``Трамп``). Recall is
the share of those (English word, Cyrillic word) pairs whose ``names`` keys meet, with and
without the learnt table, over all of them and over those whose English word never occurs in
the parallel text (truly unseen names).

Run: ``python -m benchmarks.name_pairs [--build]`` (``--build`` rewrites
``searchlib/text/data/name_keys.tsv.gz``, then measures).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import platform
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from searchlib.analysis.morph import name_lemma
from searchlib.analysis.stopwords import STOP_WORDS
from searchlib.analysis.tokenizers import WORD_PATTERN
from searchlib.text.normalise import normalise_word
from searchlib.text.translit import NAME_KEYS_PATH, skeleton_key, translit_key

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
TEXTS = CORPUS / "text"
MIN_SENTENCES = 1
"""Sentence pairs a word pair with similar keys (`SIMILAR`) must share to be considered."""
MIN_SENTENCES_UNLIKE = 3
"""The same for keys less alike (exonyms: Poland/Польща, Beijing/Пекин, Jones/Джонс): seen
twice, such links were as often a name with a neighbouring word (Magellan/дизельний)."""
SIMILAR = 0.6
MIN_SCORE = 0.2
"""Dice x key similarity a linked pair needs to enter the table. These three constants were
set by reading the linked pairs around them (``--pairs``) and checked with the false merges
below: lower, the links are mostly a name with a title or a neighbouring word."""
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_STOPS = frozenset().union(*STOP_WORDS.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class Pair:
    """One linked (English word, Cyrillic lemma) pair and its evidence."""

    english: str
    cyrillic: str
    lang: str
    together: int
    dice: float
    similarity: float

    @property
    def score(self) -> float:
        return self.dice * self.similarity


def aligned_sentences(texts: Path = TEXTS) -> Iterator[tuple[str, str, str]]:
    """(English sentence, Russian or Ukrainian sentence, "ru" | "uk") of the parallel texts."""
    ntrex = texts / "ntrex"
    english = (ntrex / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    for lang, name in (("ru", "rus"), ("uk", "ukr")):
        other = (ntrex / f"newstest2019-ref.{name}.txt").read_text(encoding="utf-8").splitlines()
        yield from ((e, o, lang) for e, o in zip(english, other, strict=True))
    for path in sorted((texts / "wmt-general-test").glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                source = record["src"].split("\n")
                reference = next(iter(record["refs"].values())).split("\n")
                if len(source) == len(reference):
                    yield from ((e, s, record["src_lang"]) for e, s in zip(reference, source,
                                                                           strict=True))


def english_name(word: str) -> str | None:
    """The lowercase name of a capitalised English word (possessive dropped), or None."""
    word = normalise_word(word)
    if not word[:1].isupper() or not word.isascii() or not word.replace("'", "").isalpha():
        return None
    word = re.sub("'s$", "", word.lower())
    return None if word in _STOPS or len(word) < 3 else word


def cyrillic_name(word: str) -> str | None:
    """The lemma of a Cyrillic word as the ``names`` field takes it, or None. Lowercase words
    count too: translators often write ``брексит``, and a pair's evidence is its sentences."""
    word = normalise_word(word)
    if not _CYRILLIC.search(word):
        return None
    lower = word.lower()
    return None if lower in _STOPS else name_lemma(lower)


def _names(sentence: str, pick, skip_first: bool = False) -> set[str]:  # noqa: ANN001
    """The names `pick` (one of the two functions above) finds in a sentence; `skip_first`
    leaves out the first word, capitalised whatever it is."""
    words = [m.group(0) for m in WORD_PATTERN.finditer(sentence)][1 if skip_first else 0:]
    return {name for word in words if (name := pick(word))}


def similarity(a: str, b: str) -> float:
    """1 - normalised edit distance of two skeleton keys (0..1)."""
    if not a or not b:
        return 0.0
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return 1 - previous[-1] / max(len(a), len(b))


def mine_pairs(sentences: Iterable[tuple[str, str, str]]) -> list[Pair]:
    """Link capitalised English words to Cyrillic lemmas one to one (per language), best first."""
    together: Counter[tuple[str, str, str]] = Counter()
    english_count: Counter[tuple[str, str]] = Counter()
    cyrillic_count: Counter[tuple[str, str]] = Counter()
    for english, other, lang in sentences:
        # A name the translation keeps in Latin letters needs no Cyrillic counterpart there.
        kept = {w.lower() for w in WORD_PATTERN.findall(other) if w.isascii()}
        en = _names(english, english_name, skip_first=True) - kept
        cy = _names(other, cyrillic_name)
        english_count.update((lang, e) for e in en)
        cyrillic_count.update((lang, c) for c in cy)
        together.update((lang, e, c) for e in en for c in cy)
    candidates = []
    for (lang, e, c), n in together.items():
        sim = similarity(skeleton_key(e), skeleton_key(c))
        if n < (MIN_SENTENCES if sim >= SIMILAR else MIN_SENTENCES_UNLIKE):
            continue
        dice = 2 * n / (english_count[lang, e] + cyrillic_count[lang, c])
        candidates.append(Pair(english=e, cyrillic=c, lang=lang, together=n, dice=dice,
                               similarity=sim))
    candidates.sort(key=lambda p: (-p.score, -p.together, p.english, p.cyrillic))
    linked: list[Pair] = []
    taken: set[tuple[str, str, str]] = set()
    for pair in candidates:
        # An English word may take a second Cyrillic spelling when it is a close one
        # (Brexit: Брексит and Брекзит); a Cyrillic word takes one English word.
        english_taken = ("en", pair.lang, pair.english) in taken
        if ("cy", pair.lang, pair.cyrillic) in taken or (
                english_taken and pair.similarity < SIMILAR):
            continue
        taken.add(("en", pair.lang, pair.english))
        taken.add(("cy", pair.lang, pair.cyrillic))
        linked.append(pair)
    return linked


def key_table(pairs: Iterable[Pair], min_score: float = MIN_SCORE) -> dict[str, str]:
    """Key -> the key of its class, for the linked pairs whose skeleton keys differ."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.get(key, key) != key:
            key = parent[key]
        return key

    english_keys: set[str] = set()
    for pair in pairs:
        if pair.score < min_score:
            continue
        e, c = skeleton_key(pair.english), skeleton_key(pair.cyrillic)
        if len(e) < 3 or len(c) < 3 or e == c:
            continue
        english_keys.add(e)
        re_, rc = root(e), root(c)
        if re_ != rc:
            parent[rc] = re_
    classes: dict[str, set[str]] = {}
    for key in list(parent):
        classes.setdefault(root(key), set()).add(key)
    table = {}
    for top, members in classes.items():
        members.add(top)
        # The class is named by its shortest English key (then alphabetically): stable output.
        name = min(members & english_keys or members, key=lambda k: (len(k), k))
        table.update({key: name for key in members if key != name})
    return table


def write_table(table: dict[str, str], path: Path = NAME_KEYS_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as f:
        for key, name in sorted(table.items()):
            f.write(f"{key}\t{name}\n")


def gold_pairs(corpus: Path = CORPUS) -> list[tuple[str, str, str]]:
    """(English word, Cyrillic word, entity id) from SlavicNER's person and place entities
    whose English id and top ru/uk lemma have the same number of words, paired word by word."""
    path = corpus / "qa" / "slavicner-entity-qrels" / "entity_docs.tsv"
    pairs = set()
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            kind, _, name = row["entity_id"].partition("-")
            if kind not in ("PER", "GPE") or row["lang"] not in ("ru", "uk"):
                continue
            english = name.split("-")
            cyrillic = row["lemma_top"].replace("-", " ").split()
            if len(english) != len(cyrillic):
                continue
            for e, c in zip(english, cyrillic, strict=True):
                if e[:1].isupper() and e.isascii() and e.isalpha() and _CYRILLIC.search(c) \
                        and len(e) >= 3 and e.lower() not in _STOPS:
                    pairs.add((e, c, row["entity_id"]))
    return sorted(pairs)


def names_key(word: str, *, learned: bool) -> str:
    """The ``names`` field's key of one word (`TranslitFilter`), with or without the table."""
    lower = normalise_word(word).lower()
    if _CYRILLIC.search(lower):
        lower = name_lemma(lower)
    return translit_key(lower) if learned else skeleton_key(lower)


def recall(gold: list[tuple[str, str, str]], *, learned: bool) -> float:
    met = sum(names_key(e, learned=learned) == names_key(c, learned=learned) for e, c, _ in gold)
    return met / len(gold) if gold else 0.0


def false_merges(gold: list[tuple[str, str, str]]) -> tuple[int, int]:
    """(skeleton, learnt): pairs of gold words of different entities whose keys are equal.

    Words named alike in two entities (``Johnson`` in Boris and Lyndon) count once, as one
    word."""
    entities: dict[str, set[str]] = {}
    for e, c, entity in gold:
        for word in (e, c):
            entities.setdefault(normalise_word(word).lower(), set()).add(entity)
    counts = []
    for learned in (False, True):
        by_key: dict[str, list[str]] = {}
        for word in entities:
            by_key.setdefault(names_key(word, learned=learned), []).append(word)
        counts.append(sum(
            1 for words in by_key.values() for i, a in enumerate(words) for b in words[i + 1:]
            if not entities[a] & entities[b]))
    return counts[0], counts[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", action="store_true",
                        help=f"mine the parallel text and rewrite {NAME_KEYS_PATH.name}")
    args = parser.parse_args(argv)
    if not TEXTS.is_dir():
        print(f"shared corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    started, wall = time.process_time(), time.perf_counter()
    sentences = list(aligned_sentences())
    pairs = mine_pairs(sentences)
    table = key_table(pairs)
    if args.build:
        write_table(table)
        print(f"wrote {len(table)} keys to {NAME_KEYS_PATH}")
    seen = {e for e, _, _ in sentences for e in _names(e, english_name)}
    gold = gold_pairs()
    unseen = [g for g in gold if english_name(g[0]) not in seen]
    rows = {
        "all SlavicNER name pairs": gold,
        "English name not in the parallel text": unseen,
    }
    print(f"{'gold pairs':42} {'n':>5} {'skeleton key':>13} {'+ learnt table':>15}")
    report: dict[str, object] = {
        "machine": platform.machine(), "python": platform.python_version(),
        "sentence_pairs": len(sentences), "linked_pairs": len(pairs), "table_keys": len(table),
    }
    for label, subset in rows.items():
        before, after = recall(subset, learned=False), recall(subset, learned=True)
        print(f"{label:42} {len(subset):5} {before:13.3f} {after:15.3f}")
        report[label] = {"pairs": len(subset), "skeleton": round(before, 4),
                         "learnt": round(after, 4)}
    before, after = false_merges(gold)
    print(f"{'false merges (words of different entities)':42} {'':5} {before:13} {after:15}")
    report["false_merges"] = {"skeleton": before, "learnt": after}
    report["cpu_s"] = round(time.process_time() - started, 1)
    report["wall_s"] = round(time.perf_counter() - wall, 1)
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
