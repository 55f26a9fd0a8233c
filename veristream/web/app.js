// veristream's page: live feed, rising events and terms, cited answers, claim checks, sources.
//
// Everything a post carries (text, names, handles, hashtags, URLs) is hostile. It is only ever
// put into the page as text (textContent / createTextNode), never as HTML; links are made only
// from http(s) URLs. The server's Content-Security-Policy forbids inline script besides.
"use strict";

(() => {
  const FEED_MAX = 200;          // posts kept on the page
  const FEED_RECENT = 30;        // newest stored posts shown when the feed (re)opens
  const REFRESH_MS = 10000;      // events, trends, sources
  const TOKEN_KEY = "veristream-token";

  const $ = (id) => document.getElementById(id);

  // -- DOM helpers: text only --------------------------------------------------------------

  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null) continue;
        if (k === "text") e.textContent = String(v);
        else if (k === "class") e.className = v;
        else if (k === "href") { const u = safeUrl(v); if (u) e.href = u; }
        else if (k === "title") e.title = String(v);
        else if (k === "type") e.type = v;
        else if (k.startsWith("data-")) e.setAttribute(k, String(v));
        else if (k === "onclick") e.addEventListener("click", v);
        else throw new Error("el: unsupported property " + k);
      }
    }
    for (const c of children) {
      if (c === undefined || c === null || c === false) continue;
      e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return e;
  }

  function safeUrl(u) {
    if (typeof u !== "string") return null;
    try {
      const url = new URL(u, location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toISOString().replace("T", " ").slice(0, 19) + "Z";
  }

  function sparkline(counts, width = 120, height = 24) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("width", String(width));
    svg.setAttribute("height", String(height));
    const vals = (counts || []).map(Number).filter((x) => isFinite(x));
    if (vals.length < 2) return svg;
    const max = Math.max(...vals, 1);
    const step = width / (vals.length - 1);
    const pts = vals.map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`);
    const area = document.createElementNS(ns, "polygon");
    area.setAttribute("points", `0,${height} ${pts.join(" ")} ${width},${height}`);
    area.setAttribute("class", "spark-area");
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", pts.join(" "));
    line.setAttribute("class", "spark-line");
    svg.appendChild(area);
    svg.appendChild(line);
    return svg;
  }

  // -- the API -------------------------------------------------------------------------------

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

  function headers(extra) {
    const h = Object.assign({}, extra || {});
    if (token()) h["Authorization"] = "Bearer " + token();
    return h;
  }

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function errorOf(res) {
    let message = `HTTP ${res.status}`;
    try {
      const body = await res.json();
      if (body && body.error && body.error.message) message = body.error.message;
    } catch (_) { /* not JSON */ }
    if (res.status === 401) needToken();
    return new ApiError(res.status, message);
  }

  async function getJSON(path) {
    const res = await fetch(path, { headers: headers() });
    if (!res.ok) throw await errorOf(res);
    return res.json();
  }

  async function postJSON(path, body, accept) {
    return fetch(path, {
      method: "POST",
      headers: headers({ "Content-Type": "application/json", "Accept": accept || "application/json" }),
      body: JSON.stringify(body),
    });
  }

  // Server-sent events from a fetch body (EventSource cannot POST).
  async function* sseEvents(res) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const frame = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        let event = "message";
        const data = [];
        for (const line of frame.split("\n")) {
          if (line.startsWith(":")) continue;
          const i = line.indexOf(":");
          const field = i < 0 ? line : line.slice(0, i);
          const val = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
          if (field === "event") event = val;
          else if (field === "data") data.push(val);
        }
        if (data.length) yield { event, data: data.join("\n") };
      }
    }
  }

  function needToken() {
    $("token-form").hidden = false;
  }

  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token-input").value.trim());
    $("token-form").hidden = true;
    openFeed();
    refresh();
  });

  // -- posts ---------------------------------------------------------------------------------

  function postItem(p) {
    const a = p.author || {};
    const handle = a.handle || a.id || "?";
    const li = el("li", { class: "post", "data-key": p.key || "" },
      el("div", { class: "post-head" },
        el("span", { class: "author", text: a.name ? `${a.name} ` : "" }),
        el("span", { class: "handle", text: "@" + handle }),
        el("time", { class: "muted", text: " " + when(p.created_at) }),
        el("span", { class: "muted", text: ` · ${p.source || ""}${p.lang ? " · " + p.lang : ""}` })),
      el("p", { class: "text", text: p.text || "" }));
    const media = (p.media || []).map((m) => `[${m.kind || "media"}${m.alt ? ": " + m.alt : ""}]`);
    if (media.length) li.appendChild(el("p", { class: "media muted", text: media.join(" ") }));
    // What comes with its words (text read from its images, link cards, its place): as text, never HTML.
    if (p.image_text) li.appendChild(el("p", { class: "image-text", text: "text in image: " + p.image_text }));
    for (const c of (p.cards || []).slice(0, 2)) {
      li.appendChild(el("p", { class: "card muted", text: "link card: " + [c.title, c.description].filter(Boolean).join(" — ") }));
    }
    if (p.place && p.place.name) {
      li.appendChild(el("p", { class: "place muted", text: `place: ${p.place.name}${p.place.country ? ", " + p.place.country : ""} (${p.place.from})` }));
    }
    if (p.hashtags && p.hashtags.length) li.appendChild(el("p", { class: "tags", text: p.hashtags.map((t) => "#" + t).join(" ") }));
    li.addEventListener("click", () => openPost(p.key));
    return li;
  }

  async function openPost(key) {
    const body = $("post-view-body");
    clear(body);
    body.appendChild(el("p", { class: "muted", text: "loading…" }));
    if (!$("post-view").open) $("post-view").showModal();
    try {
      const p = await getJSON("/v1/posts/" + encodeURIComponent(key).replace(/%3A/gi, ":"));
      clear(body);
      const a = p.author || {};
      body.appendChild(el("h3", { text: `${a.name || ""} @${a.handle || a.id || "?"}` }));
      body.appendChild(el("p", { class: "muted", text: `${when(p.created_at)} · ${p.source}${p.lang ? " · " + p.lang : ""} · ${p.key}` }));
      body.appendChild(el("p", { class: "text post-text", text: p.text || "" }));
      const link = safeUrl(p.url);
      if (link) body.appendChild(el("p", {}, el("a", { href: link, text: "Open the original post", title: link })));
      for (const u of (p.urls || []).slice(0, 5)) {
        const s = safeUrl(u);
        if (s) body.appendChild(el("p", { class: "muted" }, "link: ", el("a", { href: s, text: s })));
      }
      if (p.story && p.story.posts > 1) {
        const btn = el("button", { type: "button", text: `Story: ${p.story.posts} posts by ${p.story.authors} authors — show` });
        btn.addEventListener("click", () => showStory(p.story.id, body, btn));
        body.appendChild(btn);
      }
      // Links from a hostile page open with no access back to this one.
      for (const x of body.querySelectorAll("a")) { x.target = "_blank"; x.rel = "noopener noreferrer"; }
    } catch (e) {
      clear(body);
      body.appendChild(el("p", { class: "error", text: e.message }));
    }
  }

  async function showStory(id, body, btn) {
    btn.disabled = true;
    try {
      const s = await getJSON(`/v1/stories/${Number(id)}?limit=20`);
      const ol = el("ol", { class: "posts" });
      for (const p of s.items) ol.appendChild(postItem(p));
      body.appendChild(ol);
    } catch (e) {
      body.appendChild(el("p", { class: "error", text: e.message }));
    }
  }

  // -- the live feed -------------------------------------------------------------------------

  let feedSource = null;
  let feedCount = 0;
  const feedKeys = new Set();

  function openFeed() {
    if (feedSource) feedSource.close();
    const q = $("feed-q").value.trim();
    const params = new URLSearchParams({ recent: String(FEED_RECENT) });
    if (q) params.set("q", q);
    if (token()) params.set("token", token());
    clear($("feed"));
    feedKeys.clear();
    feedCount = 0;
    $("feed-state").textContent = "connecting…";
    const src = new EventSource("/v1/stream?" + params.toString());
    feedSource = src;
    src.addEventListener("ready", () => {
      $("feed-state").textContent = q ? `live: posts matching ${JSON.stringify(q)}` : "live: every new post";
      $("feed-state").dataset.state = "live";
    });
    src.addEventListener("post", (ev) => {
      let p;
      try { p = JSON.parse(ev.data); } catch (_) { return; }
      if (feedKeys.has(p.key)) return;
      feedKeys.add(p.key);
      feedCount += 1;
      const list = $("feed");
      list.insertBefore(postItem(p), list.firstChild);
      while (list.children.length > FEED_MAX) {
        feedKeys.delete(list.lastChild.dataset.key);
        list.removeChild(list.lastChild);
      }
      $("feed").dataset.count = String(feedCount);
    });
    src.addEventListener("dropped", (ev) => {
      let msg = "the server dropped this feed";
      try { msg = JSON.parse(ev.data).message; } catch (_) { /* keep the default */ }
      $("feed-state").textContent = msg + " — reconnecting…";
    });
    src.onerror = () => {
      if (src.readyState === EventSource.CLOSED) $("feed-state").textContent = "feed closed (check the filter or the token)";
      else $("feed-state").textContent = "reconnecting…";
    };
  }

  $("feed-form").addEventListener("submit", (ev) => { ev.preventDefault(); openFeed(); });

  // -- rising now ------------------------------------------------------------------------------

  async function loadEvents() {
    const box = $("events");
    try {
      const data = await getJSON("/v1/events?limit=8");
      clear(box);
      if (!data.events.length) box.appendChild(el("p", { class: "muted", text: "No events raised yet (they need a few minutes of stream)." }));
      for (const e of data.events) {
        const card = el("article", { class: "event " + (e.status === "active" ? "active" : "faded") },
          el("div", { class: "row" },
            el("strong", { text: `#${e.id} ` }),
            el("span", { class: "muted", text: `${e.status} · detected ${when(e.detected_at)} · ${e.posts} posts · ${e.authors} authors` })),
          el("p", { class: "event-title", text: e.title }),
          el("p", { class: "terms", text: (e.terms || []).join(" · ") }),
          sparkline((e.curve && e.curve.counts || []).slice(-48), 240, 32));
        const more = el("button", { type: "button", class: "link", text: "representative posts" });
        more.addEventListener("click", async () => {
          more.disabled = true;
          const ol = el("ol", { class: "posts" });
          for (const key of (e.post_ids || []).slice(0, 5)) {
            try { ol.appendChild(postItem(await getJSON("/v1/posts/" + encodeURIComponent(key).replace(/%3A/gi, ":")))); }
            catch (_) { /* expired since */ }
          }
          card.appendChild(ol);
        });
        card.appendChild(more);
        box.appendChild(card);
      }
    } catch (e) {
      clear(box);
      box.appendChild(el("p", { class: "error", text: e.message }));
    }
  }

  async function loadTrends() {
    const list = $("trends");
    const win = $("trend-window").value;
    try {
      const data = await getJSON("/v1/trends?limit=15&window=" + encodeURIComponent(win));
      clear(list);
      if (!data.trends.length) list.appendChild(el("li", { class: "muted", text: `nothing trending in ${win} yet` }));
      for (const t of data.trends) {
        const ratio = t.ratio ? `×${t.ratio}` : "";
        const li = el("li", { class: "trend" },
          el("button", { type: "button", class: "link term", text: t.term, title: "filter the live feed" }),
          el("span", { class: "muted", text: ` ${ratio} · ${Math.round(t.count)} authors ` }),
          sparkline(t.spark, 100, 18));
        li.querySelector("button").addEventListener("click", () => {
          $("feed-q").value = t.term.includes(" ") ? `"${t.term}"` : t.term;
          openFeed();
        });
        list.appendChild(li);
      }
    } catch (e) {
      clear(list);
      list.appendChild(el("li", { class: "error", text: e.message }));
    }
  }

  $("trend-window").addEventListener("change", loadTrends);

  // -- sources ---------------------------------------------------------------------------------

  async function loadSources() {
    const ul = $("sources");
    try {
      const [health, data] = await Promise.all([getJSON("/healthz"), getJSON("/v1/sources")]);
      $("stream-now").textContent = health.stream_now ? `stream at ${when(health.stream_now)}` : "no posts yet";
      clear(ul);
      if (!data.sources.length) ul.appendChild(el("li", { class: "muted", text: "no live source (posts arrive through the API)" }));
      for (const s of data.sources) {
        const bits = [s.state, `${(s.accepted || 0).toLocaleString()} posts`];
        if (s.lag_s !== null && s.lag_s !== undefined) bits.push(`lag ${Number(s.lag_s).toFixed(1)}s`);
        if (s.reconnects) bits.push(`${s.reconnects} reconnects`);
        if (s.rejected) bits.push(`${s.rejected} rejected`);
        const li = el("li", { class: "source " + (s.connected ? "ok" : "down"), title: s.last_error || "" },
          el("strong", { text: s.name + " " }), el("span", { text: bits.join(" · ") }));
        ul.appendChild(li);
      }
      if (data.backlog) ul.appendChild(el("li", { class: "muted", text: `queue ${data.backlog.toLocaleString()}` }));
    } catch (e) {
      $("stream-now").textContent = e.message;
    }
  }

  // -- ask -------------------------------------------------------------------------------------

  function renderAnswerText(box, text, citations) {
    // The answer's [n] markers become buttons that open the cited post.
    clear(box);
    const byN = new Map((citations || []).map((c) => [c.n, c]));
    const parts = String(text).split(/(\[\d+\])/);
    for (const part of parts) {
      const m = /^\[(\d+)\]$/.exec(part);
      const c = m && byN.get(Number(m[1]));
      if (c) {
        const b = el("button", { type: "button", class: "cite", text: part, title: `@${c.author}: ${c.text}` });
        b.addEventListener("click", () => openPost(c.post_id));
        box.appendChild(b);
      } else if (part) {
        box.appendChild(document.createTextNode(part));
      }
    }
  }

  $("ask-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const q = $("ask-q").value.trim();
    if (!q) return;
    const box = $("answer");
    const meta = $("answer-meta");
    const cites = $("citations");
    clear(box); clear(cites);
    meta.textContent = "asking…";
    box.dataset.state = "streaming";
    box.dataset.chunks = "0";
    let text = "";
    try {
      const res = await postJSON("/v1/ask", { question: q, composer: $("ask-composer").value, stream: true }, "text/event-stream");
      if (!res.ok) throw await errorOf(res);
      for await (const e of sseEvents(res)) {
        const data = JSON.parse(e.data);
        if (e.event === "text") {
          text += data.text;
          box.appendChild(document.createTextNode(data.text));
          box.dataset.chunks = String(Number(box.dataset.chunks) + 1);
        } else if (e.event === "answer") {
          renderAnswerText(box, data.answer || text, data.citations);
          for (const c of data.citations) {
            const li = el("li", { "data-post": c.post_id },
              el("button", { type: "button", class: "cite", text: `[${c.n}]` }),
              el("span", { class: "handle", text: ` @${c.author} ` }),
              el("time", { class: "muted", text: when(c.time) + " " }),
              el("span", { class: "text", text: c.text }));
            li.querySelector("button").addEventListener("click", () => openPost(c.post_id));
            const link = safeUrl(c.url);
            if (link) {
              const a = el("a", { href: link, text: " original" });
              a.target = "_blank"; a.rel = "noopener noreferrer";
              li.appendChild(a);
            }
            cites.appendChild(li);
          }
          const notes = [];
          notes.push(data.as_of ? `as of ${when(data.as_of)} (newest post used)` : "no post used");
          notes.push(`${data.posts_considered} posts considered`, data.composer);
          if (data.fallback) notes.push(`note: ${data.fallback}`);
          meta.textContent = notes.join(" · ");
          box.dataset.state = "done";
        } else if (e.event === "error") {
          throw new ApiError(data.error ? 503 : 500, data.error ? data.error.message : "the answer failed");
        }
      }
      if (box.dataset.state !== "done") throw new Error("the answer stream ended early");
    } catch (e) {
      box.dataset.state = "error";
      meta.textContent = "";
      box.appendChild(el("p", { class: "error", text: e.message }));
    }
  });

  // -- verify ----------------------------------------------------------------------------------
  // A verdict a person reads at a glance: the verdict and its confidence, one row per detail
  // the claim asserts (what the claim says | what the stream says, with the independent sources
  // and posts on each side), the evidence for and against in two columns, then the reasons.

  const VERDICT_WORDS = { supported: "Supported", refuted: "Refuted", contested: "Contested", unverified: "Unverified" };
  const STATUS_WORDS = { confirmed: "confirmed", conflicted: "contradicted", disputed: "disputed", unaddressed: "not addressed" };
  const KIND_WORDS = { place: "Place", date: "Date", cause: "Cause", agent: "Who did it", owner: "Owner", means: "Made from", who: "Named" };

  function detailName(a) {
    if (a.kind === "number") {
      const r = String(a.role || "");
      return "Number of " + (r.startsWith("n:") ? r.slice(2) + "s" : r.replace(/_/g, " "));
    }
    return KIND_WORDS[a.kind] || String(a.kind);
  }

  function postLinks(keys) {
    const span = el("span", { class: "post-links" });
    (keys || []).slice(0, 4).forEach((k, i) => {
      span.appendChild(el("button", { class: "link", type: "button", title: String(k), text: "post " + (i + 1),
                                      onclick: () => openPost(String(k)) }));
      span.appendChild(document.createTextNode(" "));
    });
    return span;
  }

  function evidenceCard(p) {
    const bits = [];
    if (p.stance) bits.push(p.stance);
    if (p.story && p.story.posts > 1) bits.push(`${p.story.posts} copies`);
    if (p.credibility && typeof p.credibility.weight === "number") bits.push(`weight ${p.credibility.weight.toFixed(2)}`);
    if (p.counted === false && p.side !== "other") bits.push("not counted again");
    for (const d of p.details || []) bits.push(`${d.relation} ${d.value}`);
    const li = el("li", { class: "evidence" },
      el("span", { class: "handle", text: "@" + (p.author || "") + " " }),
      el("span", { class: "muted", text: String(p.created_at || "").replace("T", " ").slice(0, 16) }),
      el("div", { class: "text", text: String(p.text || "") }),
      bits.length ? el("div", { class: "muted", text: bits.join(" · ") }) : null);
    if (typeof p.key === "string") li.addEventListener("click", () => openPost(p.key));
    return li;
  }

  function sideCount(c) {
    return c ? `${c.authors} independent source(s), ${c.posts} post(s)` : "";
  }

  function renderVerdict(box, v) {
    clear(box);
    const verdict = String(v.verdict || "unverified");
    box.appendChild(el("p", { class: "verdict-head" },
      el("span", { class: "verdict verdict-" + verdict, text: VERDICT_WORDS[verdict] || verdict }),
      el("span", { class: "muted", text: ` confidence ${Number(v.confidence || 0).toFixed(2)} · ` +
                                        `${v.posts_considered || 0} posts considered` })));
    const details = Array.isArray(v.assertions) ? v.assertions : [];
    if (details.length) {
      const table = el("table", { class: "details" },
        el("thead", null, el("tr", null, el("th", { text: "Detail" }), el("th", { text: "The claim says" }),
                                    el("th", { text: "The stream says" }))));
      const body = el("tbody");
      for (const a of details) {
        const stream = el("td", { class: "stream-says" });
        stream.appendChild(el("span", { class: "status status-" + a.status, text: STATUS_WORDS[a.status] || a.status }));
        const c = a.confirm || {}, x = a.conflict || {};
        if (!c.posts && !x.posts) {
          stream.appendChild(el("div", { class: "muted", text: "no post states it or another value" }));
        } else {
          stream.appendChild(el("div", null, `${c.sources || 0} source(s), ${c.posts || 0} post(s) say ${a.claim_value} `,
                                postLinks(c.keys)));
          for (const o of (x.values || []).slice(0, 3)) {
            stream.appendChild(el("div", null, `${o.sources} source(s), ${o.posts} post(s) say ${o.value} `,
                                  postLinks(o.keys)));
          }
        }
        body.appendChild(el("tr", { class: "detail" },
          el("td", { text: detailName(a) }),
          el("td", { text: (a.negated ? "not " : "") + String(a.claim_value) }),
          stream));
      }
      table.appendChild(body);
      box.appendChild(table);
    }
    const counts = v.counts || {};
    const forCol = el("div", { class: "col" }, el("h3", { text: "For" }),
      el("div", { class: "muted", text: sideCount(counts.for) }));
    const againstCol = el("div", { class: "col" }, el("h3", { text: "Against" }),
      el("div", { class: "muted", text: sideCount(counts.against) }));
    for (const [col, list] of [[forCol, v.evidence_for], [againstCol, v.evidence_against]]) {
      const ol = el("ol", { class: "evidence-list" });
      for (const p of (list || []).slice(0, 20)) ol.appendChild(evidenceCard(p));
      if (!(list || []).length) ol.appendChild(el("li", { class: "muted", text: "none found" }));
      col.appendChild(ol);
    }
    box.appendChild(el("div", { class: "columns" }, forCol, againstCol));
    const reasons = el("ul", { class: "reasons" });
    for (const r of v.reasons || []) reasons.appendChild(el("li", { text: String(r) }));
    box.appendChild(el("h3", { text: "Why" }));
    box.appendChild(reasons);
    const other = v.other || [];
    if (other.length) {
      const ol = el("ol", { class: "evidence-list" });
      for (const p of other.slice(0, 10)) ol.appendChild(evidenceCard(p));
      box.appendChild(el("h3", { text: `Neither side (${counts.query || 0} question(s), ${counts.comment || 0} other)` }));
      box.appendChild(ol);
    }
  }

  $("verify-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const claim = $("verify-q").value.trim();
    const box = $("verdict");
    clear(box);
    box.dataset.state = "checking";
    box.appendChild(el("p", { class: "muted", text: "checking…" }));
    try {
      const res = await postJSON("/v1/verify", { claim });
      if (!res.ok) throw await errorOf(res);
      renderVerdict(box, await res.json());
      box.dataset.state = "done";
    } catch (e) {
      clear(box);
      box.dataset.state = "error";
      box.appendChild(el("p", { class: "error", text: e.message }));
    }
  });

  // -- start -----------------------------------------------------------------------------------

  function refresh() {
    loadSources();
    loadEvents();
    loadTrends();
  }

  openFeed();
  refresh();
  setInterval(refresh, REFRESH_MS);
})();
