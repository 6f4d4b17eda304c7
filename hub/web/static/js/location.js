/* Store page: trend per day/week, hour x weekday heatmap, kiosks, reasons of unhappy answers. */
(function () {
  "use strict";
  const { D, t, locale, FACE_COLORS, $, el, fmt, change, day, ago, plural, weekLabel, lowBadge, distBar, state, query, rememberState, bindRangebar, showPeriod, api, live, showError, clearError, kpi, setExportLinks, questionText } = window.Dash;

  // ------------------------------------------------------------------ location
  function heatColor(index) {
    // diverging, colour-blind safe (the kiosk's Okabe-Ito ends): 0 vermillion → 50 pale sand → 100 blue; the
    // two hues never mix into a green
    const stops = [[0, [213, 94, 0]], [50, [238, 226, 200]], [100, [0, 114, 178]]];
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
    // every cell says what it is (issue 11, defect 2): closed (hatched), open without answers (white, "·"),
    // answers in closed hours (outlined), too few answers (the count only, pale), else the index and its count
    const rows = shown.map((h) => el("tr", {}, el("th", { class: "hour", scope: "row", text: String(h).padStart(2, "0") }),
      ...[1, 2, 3, 4, 5, 6, 7].map((wd) => {
        const c = byKey.get(wd + "-" + h);
        const label = `${t["wd_" + wd]} ${String(h).padStart(2, "0")}:00–${String(h + 1).padStart(2, "0")}:00`;
        if (!c) return openOn(wd, h) ? el("td", { class: "empty", title: `${label} · ${t.no_answers}`, text: "·" })
          : el("td", { class: "closed", title: `${label} · ${t.closed}` });
        const outside = !openOn(wd, h);
        const td = el("td", { "data-weekday": wd, "data-hour": h, "data-total": c.total,
          class: [c.is_thin ? "thin" : "", outside ? "outside" : ""].join(" ").trim() || null,
          title: `${label} · ${t.happy_index} ${fmt(c.happy_index, 1)} · ${plural("n_answers", c.total)}${outside ? " · " + t.outside_hours : ""}` },
          c.is_thin || c.happy_index === null ? null : el("span", { class: "idx", text: fmt(c.happy_index, 0) }),
          el("small", { class: "n", text: c.is_thin ? `n=${fmt(c.total)}` : fmt(c.total) }));
        if (!c.is_thin && c.happy_index !== null) {
          const [r, g, b] = heatColor(c.happy_index);
          const alpha = 0.35 + 0.65 * Math.min(1, c.total / max * 2);
          td.style.background = `rgba(${r}, ${g}, ${b}, ${alpha.toFixed(2)})`;
          if (alpha > 0.6) td.classList.add("dark");
        }
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

    /** "2026-11-30" → "2026-W49" (ISO week, Monday first), as the hub names weekly buckets. */
    function isoWeek(iso) {
      const d = new Date(iso + "T00:00:00Z");
      const thursday = new Date(d.getTime() + (3 - (d.getUTCDay() + 6) % 7) * 86400000);
      const jan1 = new Date(Date.UTC(thursday.getUTCFullYear(), 0, 1));
      const week = 1 + Math.floor((thursday - jan1) / (7 * 86400000));
      return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
    }

    function drawTrend(data) {
      const scale = data.summary.scale || 4;
      const trend = data.trend;
      // the bucket holding today is not over: its label says so (issue 11, defect 3); only that bucket (a range's
      // last answers may be days before today)
      const open = data.period.is_partial ? (data.granularity === "day" ? data.period.to : isoWeek(data.period.to)) : null;
      const labels = trend.map((p) => (data.granularity === "day" ? day(p.period) : weekLabel(p.period))
        + (p.period === open ? ` (${t.so_far})` : ""));
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
      const series = Object.entries(data.trend_by_question || {});
      if (series.length > 1) {
        // a change of question splits the trend: one Happy Index line per question, never one blended line
        const at = Object.fromEntries(trend.map((p, i) => [p.period, i]));
        const colours = ["#14324a", "#7a4ea3", "#0b7a75", "#8a5a00"];
        series.forEach(([qid, points], i) => {
          const values = trend.map(() => null);
          for (const p of points) if (p.period in at) values[at[p.period]] = p.happy_index;
          datasets.unshift({ type: "line", label: `${t.happy_index}: ${questionLabel(data, qid)}`, yAxisID: "index", data: values,
            borderColor: colours[i % colours.length], backgroundColor: colours[i % colours.length], borderWidth: 2.5,
            borderDash: i ? [6, 4] : [], pointRadius: 3, tension: 0.25, order: 0, spanGaps: false });
        });
      } else {
        datasets.unshift({ type: "line", label: t.happy_index, yAxisID: "index", data: trend.map((p) => p.happy_index),
          borderColor: "#14324a", backgroundColor: "#14324a", borderWidth: 2.5, pointRadius: 3, tension: 0.25, order: 0 });
      }
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

    function questionLabel(data, qid) {
      return questionText((data.questions || []).find((x) => x.id === qid)) || qid;
    }

    function drawQuestions(data) {
      const qs = data.questions || [];
      const select = $("#question-select");
      $("#question-box").hidden = qs.length < 2 && !state.question;
      select.replaceChildren(el("option", { value: "", text: t.all_questions }),
        ...qs.map((q) => el("option", { value: q.id, text: `${questionLabel(data, q.id)} · ${day(q.first_day)}–${day(q.last_day)}` })));
      select.value = state.question;
      const note = $("#question-note");
      note.hidden = qs.length < 2;
      if (qs.length > 1) note.textContent = t.question_changed.replace("{n}", fmt(qs.length)).replace("{day}", day(qs[qs.length - 1].first_day));
    }
    $("#question-select").addEventListener("change", (ev) => { state.question = ev.target.value; rememberState(); run(); });

    /** "Same period last year (4 Apr 2025 – 10 Apr 2025): index 71.2 (812 answers) ▲ +3.0", or "no answers". */
    function drawYearAgo(data) {
      const y = data.summary.year_ago, p = data.period;
      const days = `${day(p.year_ago_from)} – ${day(p.year_ago_to)}`;
      const node = $("#year-ago");
      if (!y.total) { node.replaceChildren(t.year_ago_none.replace("{days}", days)); return; }
      const diff = change(data.summary.change_year_index);
      diff.title = t.vs_last_year;
      node.replaceChildren(t.year_ago_line.replace("{days}", days).replace("{index}", fmt(y.happy_index, 1))
        .replace("{n}", plural("n_answers", y.total)), " ", diff);
    }

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
        type: "bar", data: { labels, datasets: [{ label: t.responses, data: values, backgroundColor: "#e69f00", borderRadius: 4 }] },
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
      const extra = { granularity: state.granularity };
      const data = await api(`/api/locations/${encodeURIComponent(D.location_id)}/report?` + query(extra));
      D.min_n = data.min_n;
      showPeriod(data.period);
      clearError();
      const s = data.summary;
      $("#kpis").replaceChildren(
        // the interval belongs to the Happy Index, so it sits under it (issue 11, defect 1)
        kpi(t.happy_index, fmt(s.happy_index, 1), [change(s.change_index), " ", t.vs_previous,
          ...(data.period.is_partial ? [" ", el("span", { class: "badge ns", text: t.so_far })] : []),
          ...(s.ci95 ? [el("br"), el("span", { class: "ci", text: `${t.ci95}: ${fmt(s.ci95[0], 1)}–${fmt(s.ci95[1], 1)}` })] : [])],
          s.is_low_n ? "low" : ""),
        kpi(t.pct_positive, s.pct_positive === null ? "–" : fmt(s.pct_positive, 0) + " %"),
        kpi(t.responses, fmt(s.total), [s.is_low_n && s.total ? lowBadge() : "", ` ${t.previous_period}: ${fmt(s.previous.total)}`]),
        kpi(t.distribution, distBar(s.counts, s.scale || 4),
          [s.misuse_excluded ? plural("misuse_excluded", s.misuse_excluded) : "",
           s.closed_excluded ? " " + plural("closed_excluded", s.closed_excluded) : ""]),
      );
      drawYearAgo(data);
      drawQuestions(data);
      drawTrend(data);
      document.dispatchEvent(new CustomEvent("trend-drawn", { detail: { chart: trendChart, data } }));  // location_alerts.js
      drawHeatmap(data.heatmap, data.location.opening_hours || {});
      drawKiosks(data);
      drawReasons(data);
      const q = query({ location: D.location_id });
      setExportLinks(q);
    };
    const run = live(load);
    bindRangebar(run);
  }

  if (D.page === "location") locationPage();
})();
