// The API docs page: reads /openapi.json and lists every endpoint with its parameters, and a
// form to try each GET endpoint. Self-contained: nothing is fetched from elsewhere.
"use strict";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function typeOf(spec, schema) {
  if (!schema) return "";
  if (schema.$ref) return typeOf(spec, resolve(spec, schema));
  if (schema.enum) return schema.enum.join(" | ");
  if (schema.anyOf) return schema.anyOf.map((s) => typeOf(spec, s)).filter((t) => t !== "null").join(" | ");
  const limits = [];
  if (schema.minimum !== undefined) limits.push(`>= ${schema.minimum}`);
  if (schema.maximum !== undefined) limits.push(`<= ${schema.maximum}`);
  if (schema.maxLength !== undefined) limits.push(`<= ${schema.maxLength} chars`);
  return (schema.type || "") + (limits.length ? ` (${limits.join(", ")})` : "");
}

function resolve(spec, schema) {
  if (schema && schema.$ref) return spec.components.schemas[schema.$ref.split("/").pop()];
  return schema;
}

function tryForm(path, parameters) {
  const form = el("form", { class: "try" });
  for (const p of parameters) {
    form.append(el("label", {}, p.name + (p.required ? " *" : ""),
      el("input", { name: p.name, "data-in": p.in, required: p.required ? "" : null, size: 14 })));
  }
  const answer = el("pre", { class: "answer", hidden: "" });
  form.append(el("button", { type: "submit" }, "Try"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let url = path;
    const query = new URLSearchParams();
    for (const input of form.querySelectorAll("input")) {
      if (!input.value) continue;
      if (input.dataset.in === "path") url = url.replace(`{${input.name}}`, encodeURIComponent(input.value));
      else query.set(input.name, input.value);
    }
    url += query.toString() ? "?" + query.toString() : "";
    const response = await fetch(url);
    const text = await response.text();
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (err) { /* JSON Lines, CSV */ }
    answer.hidden = false;
    answer.textContent = `GET ${url}\n${response.status} ${response.statusText}\n\n${shown.slice(0, 20000)}`;
  });
  return [form, answer];
}

async function main() {
  const spec = await (await fetch("/openapi.json")).json();
  document.getElementById("title").textContent = `${spec.info.title} ${spec.info.version} — HTTP API`;
  document.getElementById("description").textContent = spec.info.description || "";
  const list = document.getElementById("endpoints");
  const toc = el("ul", {});
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const anchor = `${method}-${path}`.replace(/[^a-z0-9]+/gi, "-");
      toc.append(el("li", {}, el("a", { href: "#" + anchor }, `${method.toUpperCase()} ${path}`)));
      const parameters = (op.parameters || []).map((p) => ({ ...p, schema: resolve(spec, p.schema) }));
      const section = el("section", { class: "endpoint", id: anchor },
        el("h2", {}, el("span", { class: "method" }, method.toUpperCase()), path),
        el("p", {}, op.description || op.summary || ""));
      if (parameters.length) {
        section.append(el("table", { class: "params" },
          el("thead", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"),
            el("th", {}, "type"), el("th", {}, "default"), el("th", {}, "meaning"))),
          el("tbody", {}, ...parameters.map((p) => el("tr", {},
            el("td", {}, el("code", {}, p.name), p.required ? " *" : ""), el("td", {}, p.in),
            el("td", {}, typeOf(spec, p.schema)),
            el("td", {}, p.schema && p.schema.default !== undefined ? JSON.stringify(p.schema.default) : ""),
            el("td", {}, p.description || (p.schema && p.schema.description) || ""))))));
      }
      section.append(el("p", { class: "meta" }, "Responses: " + Object.entries(op.responses || {})
        .map(([code, r]) => `${code} ${r.description}`).join("; ")));
      if (method === "get") section.append(...tryForm(path, parameters));
      list.append(section);
    }
  }
  document.getElementById("toc").append(toc);
}

document.addEventListener("DOMContentLoaded", main);
