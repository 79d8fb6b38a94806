"""Shared helpers of the performance benchmarks: the real corpus, scaling, baseline, measuring.

The corpus is every article text of ``../shared/corpus/text`` whose format `SOURCES.md` gives
(15,738 articles after dropping repeated URLs: ru 10.95k, uk 2.56k, en 2.22k; 5.2k characters on
average). `scaled_articles` re-uses them to reach any size: copy ``k`` (k >= 1) of article ``i``
gets the id ``<id>~<k>``, its published date moved ``k`` years later, i's title, the first half
of i's text and the second half of the text of another article of the same language (``k * 7919``
places further on in that language's list). So a 100k corpus is six and a bit passes over the
real texts: word statistics are those of real news, the vocabulary is not larger than the real
corpus's (so lemma caches hit a bit more often than on 100k distinct articles), and no copy is a
near-duplicate of another (shingle Jaccard ~0.3, below the 0.7 grouping threshold), so duplicate
grouping does not fold the scaled copies together.

The baseline is plain Whoosh as its tutorial builds it: `StandardAnalyzer` on a stored title and
a stored body, plus the same id / lang / source / published columns as ours.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import re
import statistics
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from searchlib.model import Article, Lang

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SEARCHLIB_CORPUS", ROOT / ".." / "shared" / "corpus"))
TEXT_DIR = CORPUS / "text"
OUT_DIR = ROOT / "benchmarks" / "out"

_EPOCH = datetime(2014, 1, 1, tzinfo=UTC)
_STRIDE = 7919
"""Offset (a prime) between an article and the partner whose second half its copy borrows."""
_YEAR = re.compile(r"(?:19|20)\d\d[-/]\d\d[-/]\d\d")


# ------------------------------------------------------------------------- corpus


def _synthetic_date(key: str) -> datetime:
    """A stable date in 2014-2023 for a text that came without one (from its key's hash)."""
    import zlib

    return _EPOCH + timedelta(minutes=zlib.crc32(key.encode("utf-8")) % (10 * 365 * 24 * 60))


def _date_from_url(url: str | None, key: str) -> datetime:
    match = _YEAR.search(url or "")
    if match:
        try:
            return datetime.fromisoformat(match.group(0).replace("/", "-")).replace(tzinfo=UTC)
        except ValueError:
            pass
    return _synthetic_date(key)


def _title_and_body(raw: str) -> tuple[str, str]:
    """First non-empty line is the title, the rest the body (the format of several corpora)."""
    text = raw.replace("\r\n", "\n").strip()
    title, _, body = text.partition("\n")
    return title.strip(), body.strip()


def _article(source: str, key: str, lang: Lang, title: str, body: str, *,
             url: str | None = None, published: datetime | None = None) -> Article | None:
    if not body or len(body) < 80:
        return None
    return Article(id=f"{source}-{key}", title=title[:500], text=body, lang=lang, url=url,
                   source=source, published=published or _date_from_url(url, key))


def _first_line_files(folder: Path, source: str, lang: Lang, pattern: str = "*.txt",
                      ) -> Iterator[Article | None]:
    for path in sorted(folder.glob(pattern)):
        title, body = _title_and_body(path.read_text(encoding="utf-8", errors="replace"))
        key = str(path.relative_to(folder).with_suffix("")).replace("/", ".")
        yield _article(source, key, lang, title, body)


def _ru_kw_eval(folder: Path) -> Iterator[Article | None]:
    for path in sorted(folder.glob("*.jsonlines.zip")):
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                with archive.open(member) as raw:
                    for number, line in enumerate(io.TextIOWrapper(raw, encoding="utf-8")):
                        record = json.loads(line)
                        outlet = "ng.ru" if path.name.startswith("ng") else "russian.rt.com"
                        yield _article(outlet, f"{path.stem.split('.')[0]}.{number}", Lang.RU,
                                       record.get("title") or "", record.get("content") or "",
                                       url=record.get("url"))


def _slavicner(folder: Path) -> Iterator[Article | None]:
    for lang_dir, lang in (("ru", Lang.RU), ("uk", Lang.UK)):
        for topic in sorted((folder / "raw").iterdir()):
            yield from _first_line_files(topic / lang_dir, f"slavicner.{lang}", lang)


def _brown_uk(folder: Path) -> Iterator[Article | None]:
    titles: dict[str, tuple[str, str | None, str | None]] = {}
    with open(folder / "meta.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            titles[row["file"]] = (row.get("title") or "", row.get("url") or None,
                                   row.get("year") or None)
    for group in ("good", "so-so"):
        for path in sorted((folder / group).glob("*.txt")):
            title, url, year = titles.get(path.name, ("", None, None))
            body = path.read_text(encoding="utf-8", errors="replace").strip()
            published = None
            if year and year.isdigit():
                published = _synthetic_date(path.name).replace(year=int(year))
            yield _article("brown-uk", path.stem, Lang.UK, title or body[:80], body, url=url,
                           published=published)


def _babel_ua(folder: Path) -> Iterator[Article | None]:
    csv.field_size_limit(1 << 26)
    with open(folder / "parsed_articles.csv", encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            try:
                published = datetime.fromisoformat(row["date"]).replace(tzinfo=UTC)
            except (KeyError, ValueError):
                published = None
            yield _article("babel-ua", str(number), Lang.UK, row.get("title") or "",
                           row.get("text") or "", url=row.get("url"), published=published)


_SOURCES: dict[str, Callable[[Path], Iterator[Article | None]]] = {
    "ru_kw_eval": _ru_kw_eval,
    "slavicner": _slavicner,
    "brown-uk": _brown_uk,
    "ner-uk-nashigroshi": lambda d: _first_line_files(d, "nashigroshi", Lang.UK),
    "nerel-ru-wikinews": lambda d: _first_line_files(d, "ru-wikinews", Lang.RU, "*/*.txt"),
    "babel-ua": _babel_ua,
    "bbc-2225": lambda d: _first_line_files(d, "bbc", Lang.EN, "*/*.txt"),
}
"""Sub-corpora read (formats from SOURCES.md). Left out: ntrex and wmt-general-test (sentence-
aligned translation test sets, ~1.6k short documents that repeat the same stories)."""


def corpus_available() -> bool:
    return TEXT_DIR.is_dir()


def load_corpus() -> list[Article]:
    """Every usable article of the shared corpus, in a fixed order (uk, ru, en interleaved).

    Interleaving by round-robin over the sub-corpora makes any prefix (the `--quick` sizes) a
    mix of the three languages in about the proportions of the whole.
    """
    streams: list[list[Article]] = []
    urls: set[str] = set()
    for name, reader in _SOURCES.items():
        folder = TEXT_DIR / name
        if not folder.exists():
            continue
        stream: list[Article] = []
        for article in reader(folder):
            # An article whose URL came before is a re-scrape: the index would replace one by
            # the other, so a benchmark keeps the first only.
            if article is None or (article.url and article.url in urls):
                continue
            if article.url:
                urls.add(article.url)
            stream.append(article)
        streams.append(stream)
    mixed: list[Article] = []
    longest = max((len(s) for s in streams), default=0)
    for position in range(longest):
        for stream in streams:
            # Spread each stream evenly over the whole order, not all at its start.
            index = position * len(stream) // longest
            if index < len(stream) and (position + 1) * len(stream) // longest > index:
                mixed.append(stream[index])
    return mixed


def _halves(text: str) -> tuple[str, str]:
    middle = len(text) // 2
    cut = text.find(" ", middle)
    cut = middle if cut < 0 else cut
    return text[:cut], text[cut:]


def iter_scaled_articles(base: Sequence[Article], count: int) -> Iterator[Article]:
    """`count` articles, one at a time: the real ones, then re-combined copies (module docstring).

    A generator, so a 100k corpus can be written to disk without holding it in memory.
    """
    by_lang: dict[Lang | None, list[int]] = {}
    for number, article in enumerate(base):
        by_lang.setdefault(article.lang, []).append(number)
    rank = {number: position for numbers in by_lang.values()
            for position, number in enumerate(numbers)}
    yield from base[:count]
    produced = min(count, len(base))
    copy = 1
    while produced < count:
        for number, article in enumerate(base[: count - produced]):
            yield _copy(article, base[by_lang[article.lang][
                (rank[number] + copy * _STRIDE) % len(by_lang[article.lang])]], copy)
        produced += min(count - produced, len(base))
        copy += 1


def _copy(article: Article, partner: Article, copy: int) -> Article:
    published = article.published
    if published is not None:
        try:
            published = published.replace(year=published.year + copy)
        except ValueError:  # 29 February
            published = published.replace(year=published.year + copy, day=28)
    return Article(
        id=f"{article.id}~{copy}", title=article.title,
        text=_halves(article.text)[0] + _halves(partner.text)[1],
        url=f"{article.url}#copy{copy}" if article.url else None, lang=article.lang,
        source=article.source, published=published,
    )


def scaled_articles(base: Sequence[Article], count: int) -> list[Article]:
    """`iter_scaled_articles` as a list."""
    return list(iter_scaled_articles(base, count))


def corpus_summary(articles: Sequence[Article]) -> dict[str, Any]:
    by_lang: dict[str, int] = {}
    chars = 0
    for article in articles:
        by_lang[str(article.lang)] = by_lang.get(str(article.lang), 0) + 1
        chars += len(article.title) + len(article.text)
    return {"articles": len(articles), "by_lang": by_lang,
            "mean_chars": round(chars / max(len(articles), 1))}


# ------------------------------------------------------------------------- baseline


def baseline_schema():
    """Plain Whoosh: StandardAnalyzer title and body (stored), and the same id/meta columns."""
    from whoosh import fields
    from whoosh.analysis import StandardAnalyzer

    analyzer = StandardAnalyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        url=fields.ID(stored=True),
        lang=fields.ID(stored=True, sortable=True),
        source=fields.ID(stored=True, sortable=True),
        published=fields.DATETIME(stored=True, sortable=True),
        title=fields.TEXT(analyzer=analyzer, stored=True, field_boost=2.5),
        body=fields.TEXT(analyzer=analyzer, stored=True),
    )


def baseline_document(article: Article) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": article.id, "lang": str(article.lang), "title": article.title,
        "body": article.text,
    }
    if article.url:
        doc["url"] = article.url
    if article.source:
        doc["source"] = article.source
    if article.published:
        doc["published"] = article.published.astimezone(UTC).replace(tzinfo=None)
    return doc


def build_baseline(path: Path, articles: Sequence[Article], *, batch_size: int = 1000) -> None:
    """Index `articles` with plain Whoosh, committing every `batch_size` (as `Store.add` does)."""
    from whoosh import index as whoosh_index

    path.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(path), baseline_schema())
    writer = ix.writer(limitmb=256)
    pending = 0
    for article in articles:
        writer.add_document(**baseline_document(article))
        pending += 1
        if pending >= batch_size:
            writer.commit()
            writer = ix.writer(limitmb=256)
            pending = 0
    writer.commit()


# ------------------------------------------------------------------------- measuring


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _tree_rss(root: int) -> int:
    """Memory of a process and all its descendants (Linux /proc), as PSS.

    PSS (proportional set size) splits each shared page among the processes that map it, so
    forked workers are not charged again for the parent's pages (their RSS sum would be).
    """
    total = 0
    for pid in _tree_pids(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


def _tree_pids(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def tree_cpu(root: int | None = None) -> float:
    """CPU seconds (user + system) used so far by the live descendants of a process."""
    root = os.getpid() if root is None else root
    ticks = os.sysconf("SC_CLK_TCK")
    return (_tree_sum(root, 11, 1, skip_root=True) + _tree_sum(root, 12, 1, skip_root=True)) / ticks


def _tree_sum(root: int, field: int, scale: int, *, skip_root: bool = False) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[field]) * scale
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        if pid != root or not skip_root:
            total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total


class PeakRSS:
    """Samples the memory (PSS) of a process tree (default: this one), workers included, every
    0.25 s (each sample reads /proc: ~0.2 s of CPU per minute)."""

    def __init__(self, interval: float = 0.25, root: int | None = None) -> None:
        self.interval = interval
        self.root = os.getpid() if root is None else root
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss(self.root))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree_rss(self.root))


class Timer:
    """Wall and CPU seconds of a block: this process, finished children and live workers."""

    def __enter__(self) -> Timer:
        self._wall = time.perf_counter()
        self._cpu = _cpu() + tree_cpu()
        return self

    def stop(self) -> None:
        """Read the clocks now (before workers are shut down)."""
        self.wall = time.perf_counter() - self._wall
        self.cpu = _cpu() + tree_cpu() - self._cpu

    def __exit__(self, *exc: object) -> None:
        if not hasattr(self, "wall"):
            self.stop()


def _cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpu": _cpu_model(),
    }
    for name in ("whoosh-reloaded", "pymorphy3", "pymorphy3-dicts-uk", "pymorphy3-dicts-ru",
                 "DAWG2", "PyStemmer"):
        try:
            info[name] = version(name)
        except PackageNotFoundError:
            info[name] = "absent"
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain-text table on stdout."""
    cells = [[str(c) for c in header]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for number, row in enumerate(cells):
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in
                        enumerate(zip(row, widths, strict=True))))
        if number == 0:
            print("  ".join("-" * w for w in widths))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def write_result(name: str, record: dict[str, Any]) -> Path:
    """Write the JSON record to benchmarks/out/<name>-<timestamp>.json and print it as a line."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = OUT_DIR / f"{name}-{stamp}.json"
    line = json.dumps(record, ensure_ascii=False, sort_keys=True)
    path.write_text(line + "\n", encoding="utf-8")
    print(line)
    return path


def sized_run_args(description: str, argv: list[str] | None, *, quick_size: int,
                   full_size: int) -> argparse.Namespace:
    """The options of a benchmark that indexes part of the corpus and repeats its queries:
    `--quick`, `--size`, `--index`, `--repeat`; `size` and `repeat` come back filled in
    (`--quick`: `quick_size` articles, 3 repeats; else `full_size`, 5)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help=f"{quick_size:,} articles, 3 repeats")
    parser.add_argument("--size", type=int, help=f"articles to index (default {full_size:,})")
    parser.add_argument("--index", type=Path, help="reuse (or build once and keep) this index")
    parser.add_argument("--repeat", type=int, help="timed runs per measurement (median reported)")
    args = parser.parse_args(argv)
    args.size = args.size or (quick_size if args.quick else full_size)
    args.repeat = args.repeat or (3 if args.quick else 5)
    return args
