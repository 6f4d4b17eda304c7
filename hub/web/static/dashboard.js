/* Dashboard pages: fetch the JSON API, render, and poll for fresh numbers without reloading the page. */
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("page-data").textContent);
  const t = D.t;
  const locale = D.lang === "sv" ? "sv-SE" : "en-GB";
  const FACE_COLORS = {
    2: ["#c0392b", "#2e8b3e"],
    3: ["#c0392b", "#e5b00b", "#2e8b3e"],
    4: ["#c0392b", "#ef8a3c", "#8cc152", "#2e8b3e"],
    5: ["#c0392b", "#ef8a3c", "#e5c30b", "#8cc152", "#2e8b3e"],
  };
  const $ = (sel) => document.querySelector(sel);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function fmt(x, digits) {
    if (x === null || x === undefined) return "–";
    return new Intl.NumberFormat(locale, { minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0 }).format(x);
  }

  function change(x) {
    if (x === null || x === undefined) return el("span", { class: "flat", text: "–" });
    const cls = x > 0 ? "up" : x < 0 ? "down" : "flat";
    const arrow = x > 0 ? "▲ +" : x < 0 ? "▼ " : "";
    return el("span", { class: cls, title: t.vs_previous, text: arrow + fmt(x, 1) });
  }

  function day(iso) {
    const [y, m, d] = iso.split("-").map(Number);
    return new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" })
      .format(new Date(Date.UTC(y, m - 1, d)));
  }

  function ago(ms) {
    if (ms === null || ms === undefined) return t.never;
    const s = Math.round((ms - Date.now()) / 1000);
    const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
    if (Math.abs(s) < 60) return rtf.format(s, "second");
    if (Math.abs(s) < 3600) return rtf.format(Math.round(s / 60), "minute");
    if (Math.abs(s) < 86400) return rtf.format(Math.round(s / 3600), "hour");
    return rtf.format(Math.round(s / 86400), "day");
  }

  function lowBadge() {
    return el("span", { class: "badge", title: t.few_answers_hint.replace("{n}", D.min_n || 30), text: t.few_answers });
  }

  function distBar(counts, scale) {
    const total = counts.reduce((a, b) => a + b, 0);
    const bar = el("div", { class: "dist", role: "img" });
    if (!total) return bar;
    const colors = FACE_COLORS[scale] || FACE_COLORS[4];
    const parts = [];
    counts.forEach((n, face) => {
      const pct = (100 * n) / total;
      const span = el("span", { title: `${t["face_" + scale + "_" + face]}: ${fmt(pct, 0)} % (${fmt(n)})` });
      span.style.width = pct + "%";
      span.style.background = colors[face];
      bar.append(span);
      parts.push(`${t["face_" + scale + "_" + face]} ${fmt(pct, 0)} %`);
    });
    bar.setAttribute("aria-label", parts.join(", "));
    return bar;
  }

  // ------------------------------------------------------------------ range state (kept in the URL)
  const params = new URLSearchParams(location.search);
  const state = {
    range: params.get("range") || (params.get("from") ? "custom" : "last_7_days"),
    from: params.get("from") || "",
    to: params.get("to") || "",
    include_misuse: params.get("include_misuse") === "true",
    region: params.get("region") || "",
    granularity: params.get("granularity") === "week" ? "week" : "day",
  };

  function query(extra) {
    const q = new URLSearchParams();
    if (state.range === "custom") { q.set("from", state.from); q.set("to", state.to); } else q.set("range", state.range);
    if (state.include_misuse) q.set("include_misuse", "true");
    if (state.region && (D.page === "overview" || D.page === "compare")) q.set("region", state.region);
    for (const [k, v] of Object.entries(extra || {})) q.append(k, v);
    return q.toString();
  }

  function rememberState() {
    const q = new URLSearchParams(query());
    if (D.page === "location" && state.granularity === "week") q.set("granularity", "week");
    history.replaceState(null, "", location.pathname + "?" + q.toString());
  }

  function bindRangebar(reload) {
    const form = $("#rangebar");
    if (!form) return;
    const preset = $("#range-preset"), from = $("#range-from"), to = $("#range-to"), custom = $("#custom-days");
    preset.value = state.range;
    from.value = state.from; to.value = state.to;
    custom.hidden = state.range !== "custom";
    $("#include-misuse").checked = state.include_misuse;
    preset.addEventListener("change", () => {
      state.range = preset.value;
      custom.hidden = state.range !== "custom";
      if (state.range === "custom") {
        if (!from.value && D.period) { from.value = D.period.from; to.value = D.period.to; }
        return;
      }
      rememberState(); reload();
    });
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (!from.value || !to.value) return;
      state.range = "custom"; state.from = from.value; state.to = to.value;
      rememberState(); reload();
    });
    $("#include-misuse").addEventListener("change", (ev) => {
      state.include_misuse = ev.target.checked; rememberState(); reload();
    });
    const region = $("#region-select");
    if (region) {
      api("/api/regions").then((regions) => {
        const named = regions.filter((r) => r.id);
        if (named.length < 2) return;
        region.append(...named.map((r) => el("option", { value: r.id, text: r.name || r.id })));
        region.value = state.region;
        $("#region-box").hidden = false;
      }).catch(showError);
      region.addEventListener("change", () => { state.region = region.value; rememberState(); reload(); });
    }
  }

  function showPeriod(period) {
    D.period = period;
    const node = $("#period-text");
    if (node) node.textContent = `${day(period.from)} – ${day(period.to)} · ${t.previous_period}: ${day(period.previous_from)} – ${day(period.previous_to)}`;
  }

  async function api(path) {
    const resp = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (resp.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); throw new Error("login"); }
    if (!resp.ok) {
      let detail = resp.statusText;
      try { detail = (await resp.json()).detail; } catch (e) { /* not JSON */ }
      throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
    }
    return resp.json();
  }

  function markUpdated(ok) {
    const dot = $("#live-dot"), at = $("#updated-at");
    if (!dot) return;
    dot.classList.toggle("stale", !ok);
    at.textContent = `${t.updated} ${new Date().toLocaleTimeString(locale)}`;
  }

  function live(load) {
    let busy = false;
    const run = async () => {
      if (busy) return;
      busy = true;
      try { await load(); markUpdated(true); } catch (e) { markUpdated(false); showError(e); } finally { busy = false; }
    };
    run();
    setInterval(() => { if (!document.hidden) run(); }, D.poll_ms);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) run(); });
    return run;
  }

  function showError(e) {
    if (e.message === "login") return;
    let box = $("#load-error");
    if (!box) {
      box = el("p", { id: "load-error", class: "error", role: "alert" });
      $("main").prepend(box);
    }
    box.textContent = `${t.error}: ${e.message}`;
  }

  function clearError() { const box = $("#load-error"); if (box) box.remove(); }

  function kpi(label, value, sub, extraClass) {
    return el("div", { class: "kpi " + (extraClass || "") }, el("div", { class: "label", text: label }),
      el("div", { class: "value" }, value), sub ? el("div", { class: "sub" }, ...[].concat(sub)) : null);
  }

  // ------------------------------------------------------------------ overview
  function overviewPage() {
    let data = null;
    let sortKey = "happy_index", sortDir = -1;
    const table = $("#overview-table");
    table.querySelectorAll("th[data-sort]").forEach((th) => th.addEventListener("click", () => {
      const key = th.dataset.sort;
      sortDir = key === sortKey ? -sortDir : key === "name" ? 1 : -1;
      sortKey = key;
      draw();
    }));

    function draw() {
      if (!data) return;
      const a = data.all;
      $("#kpis").replaceChildren(
        kpi(t.happy_index, fmt(a.happy_index, 1), [change(a.change_index), " ", t.vs_previous]),
        kpi(t.pct_positive, a.pct_positive === null ? "–" : fmt(a.pct_positive, 0) + " %"),
        kpi(t.responses, fmt(a.total), `${t.previous_period}: ${fmt(a.previous.total)}`),
        kpi(t.stores, fmt(data.locations.length), data.locations.some((r) => r.is_low_n) ? lowBadge() : null),
      );
      const rows = data.locations.slice().sort((x, y) => {
        const vx = x[sortKey], vy = y[sortKey];
        if (vx === null || vx === undefined) return 1;
        if (vy === null || vy === undefined) return -1;
        return (typeof vx === "string" ? vx.localeCompare(vy, locale) : vx - vy) * sortDir;
      });
      table.querySelectorAll("th[data-sort]").forEach((th) => th.setAttribute("aria-sort",
        th.dataset.sort === sortKey ? (sortDir > 0 ? "ascending" : "descending") : "none"));
      const body = table.tBodies[0];
      body.replaceChildren(...rows.map((r) => el("tr", { class: r.is_low_n ? "low-n" : "", "data-location": r.id },
        el("td", {}, el("a", { href: `/locations/${encodeURIComponent(r.id)}?${query()}`, text: r.name }), r.is_low_n ? lowBadge() : null),
        el("td", { class: "num", "data-field": "happy_index", text: fmt(r.happy_index, 1) }),
        el("td", { class: "num" }, change(r.change_index)),
        el("td", { class: "num hide-narrow", text: r.pct_positive === null ? "–" : fmt(r.pct_positive, 0) + " %" }),
        el("td", { class: "num", "data-field": "total", text: fmt(r.total) }),
        el("td", { class: "dist-cell" }, distBar(r.counts, r.scale)),
      )));
      if (!rows.length) body.append(el("tr", {}, el("td", { colspan: 6, class: "empty", text: t.no_data })));
      const scale = (rows.find((r) => r.scale) || { scale: 4 }).scale;
      $("#dist-legend").replaceChildren(...FACE_COLORS[scale].map((color, face) => {
        const swatch = el("i");
        swatch.style.background = color;
        return el("span", {}, swatch, t["face_" + scale + "_" + face]);
      }));
      $("#low-n-hint").textContent = rows.some((r) => r.is_low_n) ? t.few_answers_hint.replace("{n}", data.min_n) : "";
      $("#csv-ratings").href = "/api/exports/ratings.csv?" + query();
      $("#csv-daily").href = "/api/exports/daily.csv?" + query();
    }

    const load = async () => {
      data = await api("/api/overview?" + query());
      D.min_n = data.min_n;
      showPeriod(data.period);
      clearError();
      draw();
    };
    bindRangebar(live(load));
  }

  // ------------------------------------------------------------------ location
  function heatColor(index) {
    // 0 red → 50 amber → 100 green
    const stops = [[0, [192, 57, 43]], [50, [239, 176, 60]], [75, [140, 193, 82]], [100, [46, 139, 62]]];
    let i = 0;
    while (i < stops.length - 2 && index > stops[i + 1][0]) i++;
    const [x0, c0] = stops[i], [x1, c1] = stops[i + 1];
    const f = Math.max(0, Math.min(1, (index - x0) / (x1 - x0)));
    return c0.map((c, k) => Math.round(c + f * (c1[k] - c)));
  }

  function drawHeatmap(cells, hours) {
    const byKey = new Map(cells.map((c) => [c.weekday + "-" + c.hour, c]));
    const openOn = (wd, h) => {
      const oh = hours[String(wd)];
      if (!Object.keys(hours).length) return true;
      return Array.isArray(oh) && h >= oh[0] && h < oh[1];
    };
    let shown = [];
    for (let h = 0; h < 24; h++) {
      const any = [1, 2, 3, 4, 5, 6, 7].some((wd) => byKey.has(wd + "-" + h) || (Object.keys(hours).length && openOn(wd, h)));
      if (any) shown.push(h);
    }
    if (!shown.length) shown = Array.from({ length: 14 }, (_, i) => i + 8);
    const head = el("tr", {}, el("th", { class: "hour", text: "" }),
      ...[1, 2, 3, 4, 5, 6, 7].map((wd) => el("th", { scope: "col", text: t["wd_" + wd] })));
    const max = Math.max(1, ...cells.map((c) => c.total));
    const rows = shown.map((h) => el("tr", {}, el("th", { class: "hour", scope: "row", text: String(h).padStart(2, "0") }),
      ...[1, 2, 3, 4, 5, 6, 7].map((wd) => {
        const c = byKey.get(wd + "-" + h);
        const label = `${t["wd_" + wd]} ${String(h).padStart(2, "0")}:00–${String(h + 1).padStart(2, "0")}:00`;
        if (!c) return el("td", { class: openOn(wd, h) ? "" : "closed", title: label });
        const td = el("td", { "data-weekday": wd, "data-hour": h, "data-total": c.total,
          title: `${label} · ${t.happy_index} ${fmt(c.happy_index, 1)} · ${fmt(c.total)} ${t.responses.toLowerCase()}`,
          text: c.happy_index === null ? "" : fmt(c.happy_index, 0) });
        const [r, g, b] = heatColor(c.happy_index === null ? 50 : c.happy_index);
        const alpha = 0.35 + 0.65 * Math.min(1, c.total / max * 2);
        td.style.background = `rgba(${r}, ${g}, ${b}, ${alpha.toFixed(2)})`;
        if (alpha > 0.6) td.classList.add("dark");
        if (!openOn(wd, h)) td.classList.add("closed-with-data");
        return td;
      })));
    $("#heatmap").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
  }

  function locationPage() {
    let trendChart = null, reasonsChart = null;
    document.querySelectorAll("[data-granularity]").forEach((b) => {
      b.setAttribute("aria-pressed", String(b.dataset.granularity === state.granularity));
      b.addEventListener("click", () => {
        state.granularity = b.dataset.granularity;
        document.querySelectorAll("[data-granularity]").forEach((x) =>
          x.setAttribute("aria-pressed", String(x.dataset.granularity === state.granularity)));
        rememberState(); run();
      });
    });

    function drawTrend(data) {
      const scale = data.summary.scale || 4;
      const trend = data.trend;
      const labels = trend.map((p) => (data.granularity === "day" ? day(p.period) : p.period));
      const faces = [];
      for (let f = scale - 1; f >= 0; f--) faces.push(f);
      const datasets = faces.map((f) => ({
        type: "bar", label: t["face_" + scale + "_" + f], stack: "faces", yAxisID: "share",
        backgroundColor: FACE_COLORS[scale][f], borderWidth: 0,
        data: trend.map((p) => {
          const total = (p.counts || []).reduce((a, b) => a + b, 0);
          return p.scale === scale && total ? (100 * p.counts[f]) / total : 0;
        }),
      }));
      datasets.unshift({ type: "line", label: t.happy_index, yAxisID: "index", data: trend.map((p) => p.happy_index),
        borderColor: "#14324a", backgroundColor: "#14324a", borderWidth: 2.5, pointRadius: 3, tension: 0.25, order: 0 });
      if (trendChart) { trendChart.data.labels = labels; trendChart.data.datasets = datasets; trendChart.update("none"); return; }
      trendChart = new Chart($("#trend-chart"), {
        data: { labels, datasets },
        options: {
          maintainAspectRatio: false, animation: false, interaction: { mode: "index", intersect: false },
          scales: {
            share: { stacked: true, min: 0, max: 100, position: "right", grid: { display: false },
              ticks: { callback: (v) => v + " %" }, title: { display: true, text: t.distribution } },
            index: { min: 0, max: 100, position: "left", title: { display: true, text: t.happy_index } },
            x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } },
          },
          plugins: {
            legend: { position: "bottom", labels: { boxWidth: 12 } },
            tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${fmt(c.parsed.y, c.dataset.type === "line" ? 1 : 0)}${c.dataset.type === "line" ? "" : " %"}` } },
          },
        },
      });
    }

    function drawReasons(data) {
      const r = data.reasons;
      $("#reasons-hint").textContent = t.reasons_hint.replace("{given}", fmt(r.with_reason)).replace("{unhappy}", fmt(r.unhappy_answers));
      $("#reasons-table").tBodies[0].replaceChildren(...r.reasons.map((x) => el("tr", {},
        el("td", { text: x.reason }), el("td", { class: "num", text: fmt(x.n) }), el("td", { class: "num", text: fmt(x.pct, 0) + " %" }))));
      if (!r.reasons.length) $("#reasons-table").tBodies[0].append(el("tr", {}, el("td", { colspan: 3, class: "empty", text: t.no_reasons })));
      const labels = r.reasons.slice(0, 8).map((x) => x.reason);
      const values = r.reasons.slice(0, 8).map((x) => x.n);
      if (reasonsChart) { reasonsChart.data.labels = labels; reasonsChart.data.datasets[0].data = values; reasonsChart.update("none"); return; }
      reasonsChart = new Chart($("#reasons-chart"), {
        type: "bar", data: { labels, datasets: [{ label: t.responses, data: values, backgroundColor: "#ef8a3c", borderRadius: 4 }] },
        options: { indexAxis: "y", maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } },
          scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
      });
    }

    function drawKiosks(data) {
      $("#kiosk-table").tBodies[0].replaceChildren(...data.kiosks.map((k) => el("tr", { class: k.is_here_now && !k.is_online ? "offline" : "" },
        el("td", { text: k.id }),
        el("td", {}, !k.is_here_now ? el("span", { class: "badge ns", text: t.moved_away })
          : el("span", { class: "badge " + (k.is_online ? "on" : "off"), title: `${t.last_seen}: ${ago(k.last_seen_ms)}`, text: k.is_online ? t.online : t.offline })),
        el("td", { class: "num" }, fmt(k.happy_index, 1), k.is_low_n && k.total ? lowBadge() : null),
        el("td", { class: "num", text: fmt(k.total) }))));
    }

    const load = async () => {
      const data = await api(`/api/locations/${encodeURIComponent(D.location_id)}/report?` + query({ granularity: state.granularity }));
      D.min_n = data.min_n;
      showPeriod(data.period);
      clearError();
      const s = data.summary;
      $("#kpis").replaceChildren(
        kpi(t.happy_index, fmt(s.happy_index, 1), [change(s.change_index), " ", t.vs_previous], s.is_low_n ? "low" : ""),
        kpi(t.pct_positive, s.pct_positive === null ? "–" : fmt(s.pct_positive, 0) + " %",
          s.ci95 ? `${t.ci95}: ${fmt(s.ci95[0], 1)}–${fmt(s.ci95[1], 1)}` : null),
        kpi(t.responses, fmt(s.total), [s.is_low_n ? lowBadge() : "", ` ${t.previous_period}: ${fmt(s.previous.total)}`]),
        kpi(t.distribution, distBar(s.counts, s.scale || 4),
          s.misuse_excluded ? t.misuse_excluded.replace("{n}", fmt(s.misuse_excluded)) : null),
      );
      drawTrend(data);
      drawHeatmap(data.heatmap, data.location.opening_hours || {});
      drawKiosks(data);
      drawReasons(data);
      const q = query({ location: D.location_id });
      $("#csv-ratings").href = "/api/exports/ratings.csv?" + q;
      $("#csv-daily").href = "/api/exports/daily.csv?" + q;
    };
    const run = live(load);
    bindRangebar(run);
  }

  // ------------------------------------------------------------------ compare
  function comparePage() {
    let chart = null;
    const load = async () => {
      const data = await api("/api/compare?" + query());
      D.min_n = data.min_n;
      showPeriod(data.period);
      clearError();
      const rows = data.locations;
      $("#compare-table").tBodies[0].replaceChildren(...rows.map((r) => el("tr", { class: r.rank ? "" : "low-n", "data-location": r.id },
        el("td", { class: "num", text: r.rank ? String(r.rank) : "–" }),
        el("td", {}, el("a", { href: `/locations/${encodeURIComponent(r.id)}?${query()}`, text: r.name }), r.rank ? null : lowBadge()),
        el("td", { class: "num", text: fmt(r.happy_index, 1) }),
        el("td", { class: "num", text: r.ci95 ? `${fmt(r.ci95[0], 1)}–${fmt(r.ci95[1], 1)}` : "–" }),
        el("td", { class: "num", text: fmt(r.total) }),
        el("td", {}, r.overlaps_next ? el("span", { class: "badge ns", title: t.not_significant_hint, text: `≈ ${t.not_significant}` }) : null))));
      if (!rows.length) $("#compare-table").tBodies[0].append(el("tr", {}, el("td", { colspan: 6, class: "empty", text: t.no_data })));
      const ranked = rows.filter((r) => r.rank && r.ci95);
      $("#compare-chart-box").style.height = Math.max(160, 34 * ranked.length + 70) + "px";
      const labels = ranked.map((r) => `${r.rank}. ${r.name}`);
      const ci = ranked.map((r) => [r.ci95[0], r.ci95[1]]);
      const idx = ranked.map((r) => r.happy_index);
      if (chart) { chart.data.labels = labels; chart.data.datasets[0].data = ci; chart.data.datasets[1].data = idx; chart.update("none"); return; }
      chart = new Chart($("#compare-chart"), {
        data: { labels, datasets: [
          { type: "bar", label: t.ci95, data: ci, backgroundColor: "rgba(31, 111, 235, 0.25)", borderColor: "#1f6feb", borderWidth: 1, borderSkipped: false, barPercentage: 0.55 },
          { type: "line", label: t.happy_index, data: idx, showLine: false, pointRadius: 6, pointStyle: "rectRot", backgroundColor: "#14324a", borderColor: "#14324a" },
        ] },
        options: { indexAxis: "y", maintainAspectRatio: false, animation: false,
          scales: { x: { min: 0, max: 100, title: { display: true, text: t.happy_index } } },
          plugins: { legend: { position: "bottom" }, tooltip: { callbacks: { label: (c) => c.dataset.type === "bar"
            ? `${t.ci95}: ${fmt(c.raw[0], 1)}–${fmt(c.raw[1], 1)}` : `${t.happy_index}: ${fmt(c.raw, 1)}` } } } },
      });
    };
    bindRangebar(live(load));
  }

  // ------------------------------------------------------------------ fleet
  function skew(ms) {
    if (ms === null || ms === undefined) return "–";
    const a = Math.abs(ms), sign = ms > 0 ? "+" : ms < 0 ? "−" : "±";
    if (a < 1000) return `${sign}${fmt(a)} ms`;
    if (a < 120000) return `${sign}${fmt(a / 1000, 1)} s`;
    if (a < 7200000) return `${sign}${fmt(a / 60000, 0)} min`;
    return `${sign}${fmt(a / 3600000, 1)} h`;
  }

  function fleetPage() {
    live(async () => {
      const data = await api("/api/fleet");
      clearError();
      $("#fleet-kpis").replaceChildren(
        kpi(t.online, fmt(data.online)),
        kpi(t.offline, fmt(data.offline), null, data.offline ? "offline" : ""),
      );
      $("#fleet-table").tBodies[0].replaceChildren(...data.kiosks.map((k) => el("tr", { class: k.is_online ? "" : "offline", "data-kiosk": k.id },
        el("td", { text: k.id }),
        el("td", {}, el("a", { href: `/locations/${encodeURIComponent(k.location_id)}`, text: k.location_name || k.location_id })),
        el("td", {}, el("span", { class: "badge " + (k.is_online ? "on" : "off"), text: t[k.state] || k.state })),
        el("td", { title: k.last_seen_ms ? new Date(k.last_seen_ms).toLocaleString(locale) : "", text: ago(k.last_seen_ms) }),
        el("td", { class: "num", text: fmt(k.backlog) }),
        el("td", { text: k.version || "–" }),
        el("td", { class: "num", text: skew(k.clock_skew_ms) }))));
      if (!data.kiosks.length) $("#fleet-table").tBodies[0].append(el("tr", {}, el("td", { colspan: 7, class: "empty", text: t.no_data })));
    });
  }

  const pages = { overview: overviewPage, location: locationPage, compare: comparePage, fleet: fleetPage };
  if (pages[D.page]) pages[D.page]();
})();
