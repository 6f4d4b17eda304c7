/* Dashboard pages, shared part: formatting, the range picker (kept in the URL), the API and live polling.
   Each page's own script (overview.js, location.js, compare.js, fleet.js) uses window.Dash. */
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("page-data").textContent);
  const t = D.t;
  const locale = D.lang === "sv" ? "sv-SE" : "en-GB";
  // the kiosk's Okabe-Ito colour-blind-safe palette (kiosk/faces.py): vermillion → orange → yellow → sky blue
  // → blue, never red against green (issue 11, defect 8)
  const FACE_COLORS = {
    2: ["#d55e00", "#0072b2"],
    3: ["#d55e00", "#f0e442", "#0072b2"],
    4: ["#d55e00", "#e69f00", "#56b4e9", "#0072b2"],
    5: ["#d55e00", "#e69f00", "#f0e442", "#56b4e9", "#0072b2"],
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

  /** t[key] with {n} filled in; the singular form t[key + "_one"] when n is 1 (never "1 taps"). */
  function plural(key, n) {
    const text = n === 1 && t[key + "_one"] ? t[key + "_one"] : t[key];
    return text.replace("{n}", fmt(n));
  }

  /** "2026-W48" as "v. 48 (23–29 nov.)" / "wk 48 (23–29 Nov)": the ISO week's Monday to Sunday. */
  function weekLabel(iso) {
    const m = /^(\d{4})-W(\d{2})$/.exec(iso);
    if (!m) return iso;
    const jan4 = new Date(Date.UTC(Number(m[1]), 0, 4));
    const monday = new Date(jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 86400000 + (Number(m[2]) - 1) * 7 * 86400000);
    const sunday = new Date(monday.getTime() + 6 * 86400000);
    const f = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone: "UTC" });
    return `${t.week_short} ${Number(m[2])} (${f.formatRange ? f.formatRange(monday, sunday) : f.format(monday) + "–" + f.format(sunday)})`;
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
    include_closed: params.get("include_closed") === "true",
    region: params.get("region") || "",
    granularity: params.get("granularity") === "week" ? "week" : "day",
    question: params.get("question") || "",
  };

  function query(extra) {
    const q = new URLSearchParams();
    if (state.range === "custom") { q.set("from", state.from); q.set("to", state.to); } else q.set("range", state.range);
    if (state.include_misuse) q.set("include_misuse", "true");
    if (state.include_closed) q.set("include_closed", "true");
    if (state.region && (D.page === "overview" || D.page === "compare")) q.set("region", state.region);
    if (state.question) q.set("question", state.question);
    for (const [k, v] of Object.entries(extra || {})) q.append(k, v);
    return q.toString();
  }

  function rememberState() {
    const q = new URLSearchParams(query());
    if (D.page === "location" && state.granularity === "week") q.set("granularity", "week");
    history.replaceState(null, "", location.pathname + "?" + q.toString());
  }

  /** A question's words in the page's language (else any), quoted; its id when the kiosks used built-in words. */
  function questionText(q) {
    const text = q && (q.texts[D.lang] || Object.values(q.texts)[0]);
    return text ? `“${text}”` : (q ? q.id : "");
  }

  /** The overview's and compare's question picker (the store page has its own beside the trend): the questions
      answered in the range at the stores shown, in the page's language; shown when there is a choice. */
  async function fillQuestionPicker() {
    const select = $("#question-select"), box = $("#question-box");
    if (!select || !box || D.page === "location") return;
    const q = new URLSearchParams(query());
    q.delete("question");
    const asked = (await api("/api/questions?" + q.toString())).questions;
    const options = asked.map((x) => el("option", { value: x.id, title: `${x.id} · ${day(x.first_day)} – ${day(x.last_day)}`, text: questionText(x) }));
    if (state.question && !asked.some((x) => x.id === state.question)) options.push(el("option", { value: state.question, text: state.question }));
    select.replaceChildren(el("option", { value: "", text: t.all_questions }), ...options);
    select.value = state.question;
    box.hidden = asked.length < 2 && !state.question;
  }

  function bindRangebar(reload) {
    const form = $("#rangebar");
    if (!form) return;
    const preset = $("#range-preset"), from = $("#range-from"), to = $("#range-to"), custom = $("#custom-days");
    preset.value = state.range;
    from.value = state.from; to.value = state.to;
    custom.hidden = state.range !== "custom";
    $("#include-misuse").checked = state.include_misuse;
    $("#include-closed").checked = state.include_closed;
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
      if (from.value > to.value) { failed(new Error(t.range_reversed)); return; }
      state.range = "custom"; state.from = from.value; state.to = to.value;
      rememberState(); reload();
    });
    $("#include-misuse").addEventListener("change", (ev) => {
      state.include_misuse = ev.target.checked; rememberState(); reload();
    });
    $("#include-closed").addEventListener("change", (ev) => {
      state.include_closed = ev.target.checked; rememberState(); reload();
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
    const question = $("#question-select");
    if (question && D.page !== "location") {
      question.addEventListener("change", () => { state.question = question.value; rememberState(); reload(); });
    }
  }

  function showPeriod(period) {
    if (period.is_future) throw new Error(t.range_future);  // not an empty page with a "few answers" badge
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

  /** Mark tables wider than their box so a phone shows "swipe for more" under them (issue 11, defect 5). */
  function markOverflow() {
    for (const wrap of document.querySelectorAll(".table-wrap")) {
      if (!wrap.nextElementSibling || !wrap.nextElementSibling.classList.contains("scroll-hint")) {
        wrap.after(el("p", { class: "scroll-hint", "aria-hidden": "true", text: t.scroll_hint }));
      }
      wrap.classList.toggle("overflows", wrap.scrollWidth > wrap.clientWidth + 1);
    }
  }
  window.addEventListener("resize", markOverflow);

  function markUpdated(ok) {
    markOverflow();
    const dot = $("#live-dot"), at = $("#updated-at");
    if (!dot) return;
    dot.classList.toggle("stale", !ok);
    at.textContent = `${t.updated} ${new Date().toLocaleTimeString(locale)}`;
  }

  /** Keep a page's numbers current: reload when the hub pushes that one of its locations got new answers
      (server-sent events, GET /api/events), and poll slowly as a safety net. Pages that show kiosk states
      (fleet) and "?live=poll" (the benchmark's baseline) poll every D.poll_ms instead. */
  function live(load) {
    let busy = false, again = false;
    const run = async () => {
      if (busy) { again = true; return; } // a notice during a load: load once more after it
      busy = true;
      try { await load(); markUpdated(true); } catch (e) { markUpdated(false); failed(e); }
      finally { busy = false; if (again) { again = false; run(); } }
    };
    run();
    const pushed = window.EventSource && D.page !== "fleet" && params.get("live") !== "poll";
    if (pushed) {
      const source = new EventSource("/api/events");
      source.addEventListener("ratings", (ev) => {
        const ids = JSON.parse(ev.data).location_ids;
        if (!D.location_id || ids.includes(D.location_id)) run();
      });
      source.addEventListener("open", () => { document.documentElement.dataset.live = "pushed"; });
    }
    setInterval(() => { if (!document.hidden) run(); }, pushed ? D.fallback_poll_ms : D.poll_ms);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) run(); });
    return run;
  }

  // the hub's range refusals in the page's language
  const RANGE_ERRORS = [[/is before 'from'/, "range_reversed"], [/at most/, "range_too_long"], [/^question: /, "question_unknown"]];

  /** A failed load: say why, and take the old numbers off the page so they cannot pass for the new range's. */
  function failed(e) {
    document.body.classList.add("load-failed");
    showError(e);
  }

  function showError(e) {
    if (e.message === "login") return;
    for (const [pattern, key] of RANGE_ERRORS) if (pattern.test(e.message) && t[key]) e = new Error(t[key]);
    let box = $("#load-error");
    if (!box) {
      box = el("p", { id: "load-error", class: "error", role: "alert" });
      $("main").prepend(box);
    }
    box.textContent = `${t.error}: ${e.message}`;
  }

  function clearError() {
    document.body.classList.remove("load-failed");
    const box = $("#load-error");
    if (box) box.remove();
  }

  /** The export links of a page: comma- and semicolon-separated (Nordic Excel), face labels in the page's language. */
  function setExportLinks(q) {
    const lang = "&lang=" + D.lang + "&separator=semicolon";
    $("#csv-ratings").href = "/api/exports/ratings.csv?" + q;
    $("#csv-daily").href = "/api/exports/daily.csv?" + q;
    $("#csv-ratings-semicolon").href = "/api/exports/ratings.csv?" + q + lang;
    $("#csv-daily-semicolon").href = "/api/exports/daily.csv?" + q + lang;
  }

  function kpi(label, value, sub, extraClass) {
    return el("div", { class: "kpi " + (extraClass || "") }, el("div", { class: "label", text: label }),
      el("div", { class: "value" }, value), sub ? el("div", { class: "sub" }, ...[].concat(sub)) : null);
  }

  window.Dash = { D, t, locale, FACE_COLORS, $, el, fmt, change, day, ago, plural, weekLabel, lowBadge, distBar, state, query, rememberState, bindRangebar, showPeriod, api, live, showError, clearError, kpi, setExportLinks, questionText, fillQuestionPicker };
})();
