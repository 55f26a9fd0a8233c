// The map: events and recent posts with places over country outlines drawn by the server
// (/map/world.svg, equirectangular), refreshed live. Post-derived text only ever goes in as
// text (a <title>'s textContent), never as markup.
(() => {
  const REFRESH_MS = 10000;
  const TOKEN_KEY = "veristream-token";
  const W = 960, H = 480;
  const NS = "http://www.w3.org/2000/svg";

  const project = (lat, lon) => [((lon + 180) / 360) * W, ((90 - lat) / 180) * H];

  function dot(cls, lat, lon, r, title) {
    const c = document.createElementNS(NS, "circle");
    const [x, y] = project(lat, lon);
    c.setAttribute("cx", x.toFixed(1));
    c.setAttribute("cy", y.toFixed(1));
    c.setAttribute("r", String(r));
    c.setAttribute("class", cls);
    const t = document.createElementNS(NS, "title");
    t.textContent = title;
    c.appendChild(t);
    return c;
  }

  async function load() {
    const layer = document.getElementById("map-points");
    const state = document.getElementById("map-state");
    if (!layer) return;
    const h = {};
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) h["Authorization"] = "Bearer " + token;
    try {
      const res = await fetch("/v1/map?events=20&posts=200", { headers: h });
      if (!res.ok) { state.textContent = `map: HTTP ${res.status}`; return; }
      const data = await res.json();
      while (layer.firstChild) layer.removeChild(layer.firstChild);
      for (const p of data.posts || []) {
        if (typeof p.lat !== "number" || typeof p.lon !== "number") continue;
        layer.appendChild(dot("post-dot", p.lat, p.lon, 2.5, `@${p.author}: ${p.text} (${p.place})`));
      }
      for (const e of data.events || []) {
        if (typeof e.lat !== "number" || typeof e.lon !== "number") continue;
        const r = Math.min(14, 4 + Math.log2(1 + (e.posts || 1)));
        layer.appendChild(dot("event-dot", e.lat, e.lon, r, `#${e.id} ${e.title} — ${e.place} (${e.posts} posts)`));
      }
      state.textContent = `${(data.events || []).length} events and ${(data.posts || []).length} recent posts with a place`;
    } catch (err) {
      state.textContent = "map: " + err.message;
    }
  }

  document.addEventListener("DOMContentLoaded", () => { load(); setInterval(load, REFRESH_MS); });
})();
