/* Store page: trend per day/week, hour x weekday heatmap, kiosks, reasons of unhappy answers. */
(function () {
  "use strict";
  const { D, t, locale, FACE_COLORS, $, el, fmt, change, day, ago, lowBadge, distBar, state, query, rememberState, bindRangebar, showPeriod, api, live, showError, clearError, kpi } = window.Dash;

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

    const reasonLabel = (code) => t["reason_" + code] || code;

    function drawReasons(data) {
      const r = data.reasons;
      $("#reasons-hint").textContent = t.reasons_hint.replace("{given}", fmt(r.with_reason)).replace("{unhappy}", fmt(r.unhappy_answers));
      $("#reasons-table").tBodies[0].replaceChildren(...r.reasons.map((x) => el("tr", {},
        el("td", { text: reasonLabel(x.reason) }), el("td", { class: "num", text: fmt(x.n) }), el("td", { class: "num", text: fmt(x.pct, 0) + " %" }))));
      if (!r.reasons.length) $("#reasons-table").tBodies[0].append(el("tr", {}, el("td", { colspan: 3, class: "empty", text: t.no_reasons })));
      const labels = r.reasons.slice(0, 8).map((x) => reasonLabel(x.reason));
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
        el("td", { title: k.id, text: k.name || k.id }),
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

  if (D.page === "location") locationPage();
})();
