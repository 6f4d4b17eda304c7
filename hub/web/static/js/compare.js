/* Compare page: stores ranked with 95 % intervals, 'not significant' where they overlap. */
(function () {
  "use strict";
  const { D, t, locale, FACE_COLORS, $, el, fmt, change, day, ago, lowBadge, distBar, state, query, rememberState, bindRangebar, showPeriod, api, live, showError, clearError, kpi, fillQuestionPicker } = window.Dash;

  // ------------------------------------------------------------------ compare
  function comparePage() {
    let chart = null;
    const load = async () => {
      const picker = fillQuestionPicker().catch(showError);  // the numbers still load; a failed list only says so
      const data = await api("/api/compare?" + query());
      await picker;
      D.min_n = data.min_n;
      showPeriod(data.period);
      clearError();
      const rows = data.locations;
      const notAsked = (r) => r.was_asked === false;
      const storeQuery = (r) => { const q = new URLSearchParams(query()); if (notAsked(r)) q.delete("question"); return q.toString(); };
      $("#compare-table").tBodies[0].replaceChildren(...rows.map((r) => el("tr", { class: notAsked(r) ? "not-asked" : r.rank ? "" : "low-n", "data-location": r.id },
        el("td", { class: "num", text: r.rank ? String(r.rank) : "–" }),
        el("td", {}, el("a", { href: `/locations/${encodeURIComponent(r.id)}?${storeQuery(r)}`, text: r.name }), r.rank || notAsked(r) ? null : lowBadge()),
        notAsked(r) ? el("td", { class: "num muted", title: t.not_asked_hint, text: t.not_asked }) : el("td", { class: "num", text: fmt(r.happy_index, 1) }),
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

  if (D.page === "compare") comparePage();
})();
