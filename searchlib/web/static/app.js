// searchlib's search page: reads the state from the URL, asks the JSON API, draws with DOM
// calls only (textContent and createElement: no HTML strings, so article text cannot run).
"use strict";

const MESSAGES = {
  en: {
    skip: "Skip to results", api: "HTTP API", search: "Search", syntax: "Query syntax",
    lang: "Language", all: "all", source: "Source", since: "From", until: "To", sort: "Sort",
    relevance: "relevance", newest: "newest first", oldest: "oldest first",
    keys: "Press / to search", placeholder: "Words, \"a phrase\", a OR b, title:word …",
    results: { one: "result", other: "results" }, for: "for", loading: "Loading…",
    noResults: "Nothing found.", didYouMean: "Did you mean", partial: "Articles with only some of the words",
    dups: { one: "near-duplicate", other: "near-duplicates" }, prev: "← Previous", next: "Next →",
    facet_source: "Sources", facet_lang: "Languages", facet_author: "Authors", facet_tag: "Tags",
    timeline: "Matches over time", author: "Author", tag: "Tag", by_day: "day", by_week: "week", by_month: "month",
    download: "Download all matches", remove: "remove filter", undated: "without a date",
    translation: "Other-language versions", duplicate: "Near-duplicates", related: "Related articles",
    none: "none", back: "← Back to results", original: "Original", published: "Published",
    authors: "Authors", tags: "Tags", inIndex: "articles in the index", examples: "Try",
    error: "Error", filters: "Filters", page: "Page",
    help: [
      ["a b", "both words (all their forms)"], ["a OR b, NOT a, ( )", "either; without; grouping"],
      ["\"a b\"", "phrase"], ["\"a b\"~5", "the words within 5 positions"],
      ["=word", "only this exact form"], ["title: text:", "only the headline / only the body"],
      ["author: source: lang: tag:", "author, outlet, language, tag"],
      ["published:2025-08", "a day, a month or [2025-08-01 TO 2025-08-31]"],
      ["word*  wo?d", "prefix / wildcard"], ["word~", "fuzzy (1 edit)"], ["*", "every article"],
    ],
  },
  uk: {
    skip: "До результатів", api: "HTTP API", search: "Шукати", syntax: "Синтаксис запиту",
    lang: "Мова", all: "усі", source: "Джерело", since: "Від", until: "До", sort: "Порядок",
    relevance: "за релевантністю", newest: "спершу нові", oldest: "спершу старі",
    keys: "Натисніть / для пошуку", placeholder: "Слова, \"фраза\", a OR b, title:слово …",
    results: { one: "результат", few: "результати", many: "результатів", other: "результату" },
    for: "за запитом", loading: "Завантаження…", noResults: "Нічого не знайдено.",
    didYouMean: "Можливо, ви мали на увазі", partial: "Статті лише з частиною слів",
    dups: { one: "майже дублікат", few: "майже дублікати", many: "майже дублікатів", other: "майже дубліката" },
    prev: "← Попередня", next: "Наступна →",
    facet_source: "Джерела", facet_lang: "Мови", facet_author: "Автори", facet_tag: "Теги",
    timeline: "Збіги в часі", author: "Автор", tag: "Тег", by_day: "день", by_week: "тиждень", by_month: "місяць",
    download: "Завантажити всі збіги", remove: "прибрати фільтр", undated: "без дати",
    translation: "Версії іншими мовами", duplicate: "Майже дублікати", related: "Схожі статті",
    none: "немає", back: "← До результатів", original: "Оригінал", published: "Опубліковано",
    authors: "Автори", tags: "Теги", inIndex: "статей в індексі", examples: "Спробуйте",
    error: "Помилка", filters: "Фільтри", page: "Сторінка",
    help: [
      ["a b", "обидва слова (усі їхні форми)"], ["a OR b, NOT a, ( )", "будь-яке; без; групування"],
      ["\"a b\"", "фраза"], ["\"a b\"~5", "слова не далі ніж за 5 позицій"],
      ["=слово", "лише ця точна форма"], ["title: text:", "лише заголовок / лише текст"],
      ["author: source: lang: tag:", "автор, видання, мова, тег"],
      ["published:2025-08", "день, місяць або [2025-08-01 TO 2025-08-31]"],
      ["слово*  сл?во", "префікс / шаблон"], ["слово~", "нечіткий пошук (1 правка)"], ["*", "усі статті"],
    ],
  },
  ru: {
    skip: "К результатам", api: "HTTP API", search: "Искать", syntax: "Синтаксис запроса",
    lang: "Язык", all: "все", source: "Источник", since: "С", until: "По", sort: "Порядок",
    relevance: "по релевантности", newest: "сначала новые", oldest: "сначала старые",
    keys: "Нажмите / для поиска", placeholder: "Слова, \"фраза\", a OR b, title:слово …",
    results: { one: "результат", few: "результата", many: "результатов", other: "результата" },
    for: "по запросу", loading: "Загрузка…", noResults: "Ничего не найдено.",
    didYouMean: "Возможно, вы имели в виду", partial: "Статьи только с частью слов",
    dups: { one: "почти дубликат", few: "почти дубликата", many: "почти дубликатов", other: "почти дубликата" },
    prev: "← Предыдущая", next: "Следующая →",
    facet_source: "Источники", facet_lang: "Языки", facet_author: "Авторы", facet_tag: "Теги",
    timeline: "Совпадения во времени", author: "Автор", tag: "Тег", by_day: "день", by_week: "неделя", by_month: "месяц",
    download: "Скачать все совпадения", remove: "убрать фильтр", undated: "без даты",
    translation: "Версии на других языках", duplicate: "Почти дубликаты", related: "Похожие статьи",
    none: "нет", back: "← К результатам", original: "Оригинал", published: "Опубликовано",
    authors: "Авторы", tags: "Теги", inIndex: "статей в индексе", examples: "Попробуйте",
    error: "Ошибка", filters: "Фильтры", page: "Страница",
    help: [
      ["a b", "оба слова (все их формы)"], ["a OR b, NOT a, ( )", "любое; без; группировка"],
      ["\"a b\"", "фраза"], ["\"a b\"~5", "слова не дальше 5 позиций"],
      ["=слово", "только эта точная форма"], ["title: text:", "только заголовок / только текст"],
      ["author: source: lang: tag:", "автор, издание, язык, тег"],
      ["published:2025-08", "день, месяц или [2025-08-01 TO 2025-08-31]"],
      ["слово*  сл?во", "префикс / шаблон"], ["слово~", "нечёткий поиск (1 правка)"], ["*", "все статьи"],
    ],
  },
};
const UI_LANGS = ["uk", "en", "ru"];
const FILTERS = ["lang", "source", "author", "tag", "since", "until"];
const FACETS = ["lang", "source", "author", "tag"];
const PAGE_SIZE = 10;
const LANGUAGE_NAMES = { uk: "українська", ru: "русский", en: "English" };
let renderId = 0;

function uiLang() {
  const asked = new URLSearchParams(location.search).get("hl");
  if (UI_LANGS.includes(asked)) return asked;
  const browser = (navigator.language || "en").slice(0, 2);
  return UI_LANGS.includes(browser) ? browser : "en";
}

function t(key) { return MESSAGES[uiLang()][key] ?? MESSAGES.en[key] ?? key; }

function plural(key, n) {
  const forms = t(key);
  return forms[new Intl.PluralRules(uiLang()).select(n)] ?? forms.other;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

// Only http(s) links from article data: never javascript: or data: URLs.
function safeUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch (err) {
    return null;
  }
}

// A page URL: the current state with `changes` applied (null removes a key); hl is kept.
function pageUrl(path, params, changes) {
  const next = new URLSearchParams(params);
  for (const [key, value] of Object.entries(changes || {})) {
    if (value === null || value === "") next.delete(key); else next.set(key, value);
  }
  const hl = new URLSearchParams(location.search).get("hl");
  if (hl && !next.has("hl")) next.set("hl", hl);
  const query = next.toString();
  return path + (query ? "?" + query : "");
}

function apiUrl(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(key, value);
  }
  return path + "?" + query.toString();
}

function navLink(href, text, attrs) {
  return el("a", { href, "data-nav": "", ...(attrs || {}) }, text);
}

async function api(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({ message: response.statusText }));
  if (!response.ok) {
    const error = new Error(body.message || response.statusText);
    error.status = response.status;
    throw error;
  }
  return body;
}

function showError(main, error) {
  main.replaceChildren(el("div", { class: "error", role: "alert" },
    el("strong", {}, t("error") + (error.status ? " " + error.status : "") + ": "),
    el("pre", {}, error.message)));
}

function isoDay(value) { return value ? value.slice(0, 10) : ""; }

function formatDate(value) {
  if (!value) return null;
  return new Date(value).toLocaleDateString(uiLang(), { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
}

// Code points [from, to) of `chars` as text nodes and <mark>s for the highlighted ranges in
// them. Offsets count code points (Python's str), so texts are split into code points first.
function markedNodes(chars, highlights, from, to) {
  const nodes = [];
  let cursor = from;
  for (const [start, end] of highlights || []) {
    if (end <= from || start >= to) continue;
    const a = Math.max(start, from);
    const b = Math.min(end, to);
    nodes.push(chars.slice(cursor, a).join(""), el("mark", {}, chars.slice(a, b).join("")));
    cursor = b;
  }
  nodes.push(chars.slice(cursor, to).join(""));
  return nodes;
}

function marked(text, highlights) {
  const chars = Array.from(text || "");
  return markedNodes(chars, highlights, 0, chars.length);
}

function snippetNode(hit) {
  return el("p", { class: "snippet" }, ...marked(hit.snippet_text, hit.highlights));
}

// A text's paragraphs (runs of lines without a blank one between) as <p>s, with the marks.
function paragraphNodes(text, highlights) {
  const chars = Array.from(text || "");
  const nodes = [];
  for (let start = 0; start < chars.length;) {
    if (chars[start] === "\n") { start++; continue; }
    let end = start;
    while (end < chars.length && chars[end] !== "\n") end++;
    if (chars.slice(start, end).join("").trim()) {
      nodes.push(el("p", {}, ...markedNodes(chars, highlights, start, end)));
    }
    start = end;
  }
  return nodes;
}

function metaLine(item) {
  const parts = [item.lang, item.source, formatDate(item.published)].filter(Boolean);
  return el("p", { class: "meta" }, parts.join(" · "));
}

// ---------------------------------------------------------------- the shell

function applyInterface() {
  const lang = uiLang();
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  const q = document.getElementById("q");
  q.placeholder = t("placeholder");
  q.setAttribute("aria-label", t("search"));
  document.getElementById("f-hl").value = new URLSearchParams(location.search).get("hl") || "";
  const switcher = document.getElementById("ui-lang");
  switcher.replaceChildren(...UI_LANGS.map((code) => navLink(
    pageUrl(location.pathname, location.search, { hl: code }), code,
    { lang: code, "aria-current": code === lang ? "true" : null })));
  document.getElementById("help-body").replaceChildren(...t("help").map(([syntax, meaning]) =>
    el("tr", {}, el("td", {}, el("code", {}, syntax)), el("td", {}, meaning))));
}

function fillForm(params) {
  document.getElementById("q").value = params.get("q") || "";
  for (const name of [...FILTERS, "sort"]) {
    const field = document.getElementById("f-" + name);
    if (field) field.value = name === "sort" ? params.get(name) || "relevance"
      : name === "since" || name === "until" ? isoDay(params.get(name)) : params.get(name) || "";
  }
}

async function render() {
  const id = ++renderId;
  const params = new URLSearchParams(location.search);
  applyInterface();
  fillForm(params);
  const main = document.getElementById("main");
  main.setAttribute("aria-busy", "true");
  main.replaceChildren(el("p", { class: "loading" }, t("loading")));
  const current = () => id === renderId;
  try {
    const match = location.pathname.match(/^\/article\/(.+)$/);
    if (match) await renderArticle(main, decodeURIComponent(match[1]), params, current);
    else if (params.get("q")) await renderSearch(main, params, current);
    else await renderHome(main, current);
  } catch (error) {
    if (current()) showError(main, error);
  } finally {
    if (current()) main.removeAttribute("aria-busy");
  }
}

function go(url) {
  history.pushState(null, "", url);
  render();
  window.scrollTo(0, 0);
}

// ---------------------------------------------------------------- home

async function renderHome(main, current) {
  const stats = await api("/api/stats");
  if (!current()) return;
  const langs = Object.entries(stats.by_lang).map(([lang, n]) => `${lang} ${n}`).join(", ");
  const examples = ["Канада OR Canada", "\"Північний потік\"", "Brexit", "санкции"];
  main.replaceChildren(
    el("p", { class: "stats" }, `${stats.articles} ${t("inIndex")} (${langs})`,
      stats.first_published ? ` · ${isoDay(stats.first_published)} – ${isoDay(stats.last_published)}` : ""),
    el("p", {}, t("examples") + ": ", ...examples.flatMap((q, i) =>
      [i ? ", " : "", navLink(pageUrl("/", "", { q }), q)])));
  document.getElementById("sources").replaceChildren(
    ...Object.keys(stats.by_source).slice(0, 50).map((s) => el("option", { value: s })));
}

// ---------------------------------------------------------------- search

function searchParams(params) {
  const out = { q: params.get("q") };
  for (const name of FILTERS) out[name] = params.get(name);
  return out;
}

async function renderSearch(main, params, current) {
  const page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
  const sort = params.get("sort") || "relevance";
  const base = searchParams(params);
  const results = await api(apiUrl("/api/search", {
    ...base, sort, page, limit: PAGE_SIZE, facets: "true" }));
  if (!current()) return;
  const total = el("p", { id: "total", "data-total": results.total },
    `${results.total} ${plural("results", results.total)} ${t("for")} `,
    el("q", {}, results.query));
  const chips = FILTERS.filter((name) => params.get(name)).map((name) =>
    navLink(pageUrl("/", params, { [name]: null, page: null }),
      `${t(name)}: ${params.get(name)} ×`, { class: "chip", "aria-label": `${t("remove")} ${name}` }));
  const suggestion = results.suggestion ? el("p", { class: "suggestion" }, t("didYouMean") + ": ",
    navLink(pageUrl("/", params, { q: results.suggestion, page: null }), results.suggestion)) : null;
  const list = el("ol", { id: "hits", start: results.offset + 1 });
  let partialShown = false;
  for (const hit of results.hits) {
    if (hit.partial && !partialShown) {
      list.append(el("li", { class: "partial-note", role: "presentation" }, t("partial")));
      partialShown = true;
    }
    const href = pageUrl("/article/" + encodeURIComponent(hit.id), params, { page: null, sort: null });
    list.append(el("li", { class: hit.partial ? "hit partial" : "hit", "data-id": hit.id },
      el("h2", {}, navLink(href, hit.title || hit.id)),
      metaLine(hit),
      snippetNode(hit),
      hit.duplicates && results.collapsed ? navLink(href + "#duplicate",
        `+${hit.duplicates} ${plural("dups", hit.duplicates)}`, { class: "dups" }) : null));
  }
  const pages = el("nav", { class: "pages", "aria-label": t("page") },
    page > 1 ? navLink(pageUrl("/", params, { page: page - 1 }), t("prev"), { rel: "prev" }) : null,
    results.offset + PAGE_SIZE < results.total
      ? navLink(pageUrl("/", params, { page: page + 1 }), t("next"), { rel: "next" }) : null);
  const exportParams = { ...base, sort: sort === "relevance" ? "relevance" : sort };
  const downloads = el("p", { class: "downloads" }, t("download") + ": ",
    el("a", { href: apiUrl("/api/export", { ...exportParams, format: "csv" }), download: "", id: "download-csv" }, "CSV"),
    " · ",
    el("a", { href: apiUrl("/api/export", { ...exportParams, format: "jsonl" }), download: "", id: "download-jsonl" }, "JSON Lines"));
  const timeline = el("section", { class: "timelines", id: "timelines", "aria-label": t("timeline") });
  main.replaceChildren(
    el("div", { class: "results" },
      el("div", { class: "summary" }, total, chips.length ? el("p", { class: "chips" }, ...chips) : null,
        suggestion, results.total ? downloads : null),
      timeline,
      results.total || results.hits.length ? list : el("p", {}, t("noResults")),
      pages),
    facetsNode(results.facets, params));
  if (results.total) await renderTimelines(timeline, base, params, results, current);
}

function facetsNode(facets, params) {
  const aside = el("aside", { class: "facets", "aria-label": t("filters") });
  for (const name of FACETS) {
    const counts = Object.entries(facets[name] || {});
    if (!counts.length) continue;
    aside.append(el("section", { class: "facet", "data-facet": name },
      el("h3", {}, t("facet_" + name)),
      el("ul", {}, ...counts.map(([value, count]) => el("li", {},
        navLink(pageUrl("/", params, { [name]: value, page: null }),
          name === "lang" ? LANGUAGE_NAMES[value] || value : value,
          { "data-value": value, "aria-current": params.get(name) === value ? "true" : null }),
        " ", el("span", { class: "count" }, count))))));
  }
  return aside;
}

async function renderTimelines(section, base, params, results, current) {
  const by = ["day", "week", "month"].includes(params.get("by")) ? params.get("by") : "month";
  const langs = base.lang ? [base.lang] : Object.keys(results.facets.lang || {});
  const answers = await Promise.all(langs.map((lang) =>
    api(apiUrl("/api/timeline", { ...base, lang, by }))));
  if (!current()) return;
  section.replaceChildren(el("h3", {}, t("timeline") + " · ",
    ...["day", "week", "month"].flatMap((period, i) => [i ? " " : "",
      navLink(pageUrl("/", params, { by: period }), t("by_" + period),
        { "aria-current": period === by ? "true" : null })])));
  answers.forEach((timeline, i) => section.append(chartNode(langs[i], timeline)));
}

// One bar per bucket, drawn as inline SVG (no library, nothing fetched).
function chartNode(lang, timeline) {
  const buckets = timeline.buckets;
  const width = 600;
  const height = 90;
  const top = Math.max(1, ...buckets.map((b) => b.count));
  const step = width / Math.max(24, buckets.length);  // a few buckets do not fill the width
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height + 16}`, class: "chart", role: "img",
    "aria-label": `${lang}: ${timeline.matches}` });
  buckets.forEach((bucket, i) => {
    const h = Math.max(bucket.count ? 2 : 0, Math.round((bucket.count / top) * height));
    chart.append(svg("rect", { class: "bar", x: (i * step + step * 0.1).toFixed(2), y: height - h,
      width: Math.max(1, step * 0.8).toFixed(2), height: h, "data-start": bucket.start, "data-count": bucket.count },
      svg("title", {}, `${bucket.start}: ${bucket.count}`)));
  });
  if (buckets.length) {
    chart.append(svg("text", { x: 0, y: height + 13, class: "axis" }, buckets[0].start));
    if (buckets.length > 1) {
      chart.append(svg("text", { x: buckets.length * step, y: height + 13, class: "axis", "text-anchor": "end" },
        buckets[buckets.length - 1].start));
    }
  }
  return el("figure", { class: "timeline", "data-lang": lang, "data-buckets": buckets.length },
    el("figcaption", {}, `${LANGUAGE_NAMES[lang] || lang} · ${timeline.matches}`,
      timeline.undated ? ` (${timeline.undated} ${t("undated")})` : ""),
    buckets.length ? chart : null);
}

// ---------------------------------------------------------------- article

async function renderArticle(main, id, params, current) {
  // Opened from a search (its q is in the URL): the query's words are marked.
  const path = "/api/articles/" + encodeURIComponent(id) + (params.get("q") ? "?" + new URLSearchParams({ q: params.get("q") }) : "");
  const [article, similar] = await Promise.all([
    api(path), api("/api/similar/" + encodeURIComponent(id) + "?limit=10")]);
  const marks = article.highlights || {};
  if (!current()) return;
  document.title = article.title + " · searchlib";
  const url = safeUrl(article.canonical_url || article.url);
  const back = params.get("q") ? navLink(pageUrl("/", params, {}), t("back"), { class: "back" }) : null;
  const body = el("div", { class: "text" }, ...paragraphNodes(article.text, marks.text));
  const details = el("dl", { class: "details" },
    article.published ? el("dt", {}, t("published")) : null,
    article.published ? el("dd", {}, formatDate(article.published)) : null,
    article.authors.length ? el("dt", {}, t("authors")) : null,
    article.authors.length ? el("dd", {}, article.authors.join(", ")) : null,
    article.tags.length ? el("dt", {}, t("tags")) : null,
    article.tags.length ? el("dd", {}, article.tags.join(", ")) : null);
  const related = el("aside", { class: "similar" });
  for (const reason of ["translation", "duplicate", "related"]) {
    const items = similar.articles.filter((a) => a.reason === reason);
    related.append(el("section", { id: reason, "data-reason": reason },
      el("h3", {}, t(reason)),
      items.length ? el("ul", {}, ...items.map((a) => el("li", {},
        navLink(pageUrl("/article/" + encodeURIComponent(a.id), params, {}), a.title || a.id,
          { lang: a.lang }), metaLine(a)))) : el("p", { class: "none" }, t("none"))));
  }
  main.replaceChildren(el("article", { class: "article", lang: article.lang },
    back, el("h1", { id: "article-title" }, ...(article.title ? marked(article.title, marks.title) : [article.id])),
    el("p", { class: "meta" }, [article.lang, article.source].filter(Boolean).join(" · "),
      url ? " · " : "", url ? el("a", { href: url, rel: "noopener noreferrer" }, t("original")) : null),
    details, article.lead ? el("p", { class: "lead" }, ...marked(article.lead, marks.lead)) : null, body), related);
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

// ---------------------------------------------------------------- events

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-nav]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  go(link.getAttribute("href"));
});

document.addEventListener("keydown", (event) => {
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement?.tagName);
  if (event.key === "/" && !typing) {
    event.preventDefault();
    document.getElementById("q").focus();
  }
});

window.addEventListener("popstate", render);

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("search").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const params = new URLSearchParams();
    for (const [key, value] of form.entries()) {
      if (value && !(key === "sort" && value === "relevance")) params.set(key, value);
    }
    go("/?" + params.toString());
  });
  render();
});
