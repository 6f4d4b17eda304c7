/* Overview page: every store's score, change and distribution; sortable. */
(function () {
  "use strict";
  const { D, t, locale, FACE_COLORS, $, el, fmt, change, day, ago, lowBadge, distBar, state, query, rememberState, bindRangebar, showPeriod, api, live, showError, clearError, kpi, setExportLinks, fillQuestionPicker } = window.Dash;

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

    function drawRegions() {
      const named = (data.regions || []).filter((r) => r.id);
      $("#regions-card").hidden = !named.length;
      $("#region-summary").tBodies[0].replaceChildren(...(data.regions || []).map((r) => el("tr", { "data-region": r.id || "" },
        el("td", { text: r.name || r.id || t.no_region }),
        el("td", { class: "num" }, fmt(r.happy_index, 1), r.is_low_n && r.total ? lowBadge() : null),
        el("td", { class: "num" }, change(r.change_index)),
        el("td", { class: "num", text: fmt(r.total) }),
        el("td", { class: "num", text: fmt(r.location_count) }))));
    }

    function draw() {
      if (!data) return;
      drawRegions();
      const a = data.all;
      $("#kpis").replaceChildren(
        kpi(t.happy_index, fmt(a.happy_index, 1), [change(a.change_index), " ", t.vs_previous,
          ...(data.period.is_partial ? [" ", el("span", { class: "badge ns", text: t.so_far })] : []),
          el("br"), change(a.change_year_index), " ", t.vs_last_year]),
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
      body.replaceChildren(...rows.map((r) => el("tr", { class: r.was_asked === false ? "not-asked" : r.is_low_n ? "low-n" : "", "data-location": r.id },
        el("td", {}, el("a", { href: `/locations/${encodeURIComponent(r.id)}?${storeQuery(r)}`, text: r.name }),
          r.is_low_n && r.was_asked !== false ? lowBadge() : null),
        r.was_asked === false
          ? el("td", { class: "num muted", "data-field": "happy_index", title: t.not_asked_hint, text: t.not_asked })
          : el("td", { class: "num", "data-field": "happy_index", text: fmt(r.happy_index, 1) }),
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
      $("#low-n-hint").textContent = rows.some((r) => r.is_low_n && r.was_asked !== false) ? t.few_answers_hint.replace("{n}", data.min_n) : "";
      setExportLinks(query());
    }

    /** A store's link keeps the filters; not the question where the store never got it (its page would refuse). */
    function storeQuery(r) {
      const q = new URLSearchParams(query());
      if (r.was_asked === false) q.delete("question");
      return q.toString();
    }

    const load = async () => {
      const picker = fillQuestionPicker().catch(showError);  // the numbers still load; a failed list only says so
      data = await api("/api/overview?" + query());
      await picker;
      D.min_n = data.min_n;
      showPeriod(data.period);
      clearError();
      draw();
    };
    bindRangebar(live(load));
  }

  if (D.page === "overview") overviewPage();
})();
