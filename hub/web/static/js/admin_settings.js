/* Admin: kiosk settings per scope (organisation, region, store, kiosk) with a preview of the kiosk screen and each
   kiosk's rollout state. Empty fields inherit from the wider scope (shown as placeholders). */
(function () {
  "use strict";
  const { t, $, el, api, showError, fmt } = window.Dash;
  const { send, act } = window.Admin;
  const form = $("#settings-form");
  // the kiosk's Okabe-Ito colour-blind-safe palette (kiosk/faces.py), least happy first
  const PALETTES = {
    2: ["#d55e00", "#0072b2"], 3: ["#d55e00", "#f0e442", "#0072b2"],
    4: ["#d55e00", "#e69f00", "#56b4e9", "#0072b2"], 5: ["#d55e00", "#e69f00", "#f0e442", "#56b4e9", "#0072b2"],
  };
  const NUMBERS = ["thank_you_s", "followup_timeout_s", "attract_after_s", "response_interval_s"];
  const SVG = "http://www.w3.org/2000/svg";
  let doc = null, scope = "all";

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }

  function face(i, n, colour) {
    const mood = n === 1 ? 0 : (2 * i) / (n - 1) - 1; // -1 least happy .. 1 happiest
    const s = svg("svg", { viewBox: "0 0 100 100", class: "face", "aria-hidden": "true" });
    s.append(svg("circle", { cx: 50, cy: 50, r: 46, fill: colour, stroke: "#1c1c21", "stroke-width": 3 }));
    s.append(svg("circle", { cx: 35, cy: 40, r: 5, fill: "#1c1c21" }), svg("circle", { cx: 65, cy: 40, r: 5, fill: "#1c1c21" }));
    s.append(svg("path", { d: `M 30 68 Q 50 ${68 + 22 * mood} 70 68`, fill: "none", stroke: "#1c1c21", "stroke-width": 5, "stroke-linecap": "round" }));
    return s;
  }

  function values() {
    const f = form.elements, out = {};
    const q = {};
    if (f.question_sv.value.trim()) q.sv = f.question_sv.value.trim();
    if (f.question_en.value.trim()) q.en = f.question_en.value.trim();
    if (Object.keys(q).length) out.questions = q;
    if (f.question_id.value.trim()) out.question_id = f.question_id.value.trim();
    if (f.faces.value) out.faces = Number(f.faces.value);
    const reasons = f.reasons.value.split("\n").map((r) => r.trim()).filter(Boolean);
    if (reasons.length) out.reasons = reasons;
    for (const k of NUMBERS) if (f[k].value !== "") out[k] = Number(f[k].value);
    return out;
  }

  function preview() {
    const eff = { ...doc.effective, ...values() };
    eff.questions = { ...(doc.effective.questions || {}), ...(values().questions || {}) };
    const lang = eff.language || "sv";
    const n = eff.faces || 4;
    const box = $("#kiosk-preview");
    box.setAttribute("aria-label", t.preview);
    box.replaceChildren(
      el("p", { class: "kq", text: eff.questions[lang] || eff.questions.sv || eff.questions.en || "…" }),
      el("div", { class: "kfaces" }, ...PALETTES[n].map((c, i) => face(i, n, c))),
      el("p", { class: "kmeta", text: `${lang} · ${t.question_id}: ${eff.question_id || "q1"}` }));
  }

  function fill() {
    const own = doc.settings, eff = doc.effective, f = form.elements;
    const q = own.questions || {}, eq = eff.questions || {};
    f.question_sv.value = q.sv || ""; f.question_sv.placeholder = eq.sv || "";
    f.question_en.value = q.en || ""; f.question_en.placeholder = eq.en || "";
    f.question_id.value = own.question_id || ""; f.question_id.placeholder = eff.question_id || "q1";
    f.faces.value = own.faces ? String(own.faces) : "";
    f.faces.options[0].text = eff.faces ? `${t.inherited}: ${eff.faces}` : "–";
    f.reasons.value = (own.reasons || []).join("\n"); f.reasons.placeholder = (eff.reasons || []).join("\n");
    for (const k of NUMBERS) { f[k].value = own[k] ?? ""; f[k].placeholder = eff[k] ?? ""; }
    $("#rollout-table").tBodies[0].replaceChildren(...doc.rollout.map((r) => el("tr", { "data-kiosk": r.kiosk_id, class: r.state === "refused" ? "offline" : "" },
      el("td", { text: r.name || r.kiosk_id }), el("td", { text: r.location_id }), el("td", { class: "num", text: fmt(r.version) }),
      el("td", { text: t["rollout_" + r.state] + (r.state === "refused" && r.refused_reason ? `: ${r.refused_reason}` : "") }))));
    if (!doc.rollout.length) $("#rollout-table").tBodies[0].append(el("tr", {}, el("td", { colspan: 4, class: "empty", text: t.no_data })));
    preview();
  }

  function path() {
    const [kind, id] = scope.split(":");
    return kind === "all" ? "/api/kiosk-settings/all" : `/api/kiosk-settings/${kind}/${encodeURIComponent(id)}`;
  }

  async function load() { doc = await api(path()); fill(); }

  Promise.all([api("/api/regions/all"), api("/api/locations"), api("/api/kiosks")]).then(([regions, locs, kiosks]) => {
    const select = $("#scope-select");
    select.replaceChildren(el("option", { value: "all", text: t.scope_all }),
      ...regions.map((r) => el("option", { value: `regions:${r.id}`, text: `${t.region}: ${r.name}` })),
      ...locs.map((l) => el("option", { value: `locations:${l.id}`, text: `${t.location}: ${l.name}` })),
      ...kiosks.filter((k) => !k.is_retired).map((k) => el("option", { value: `kiosks:${k.id}`, text: `${t.kiosk}: ${k.name || k.id}` })));
    const wanted = new URLSearchParams(location.search).get("scope");
    if (wanted && [...select.options].some((o) => o.value === wanted)) select.value = wanted;
    scope = select.value;
    select.addEventListener("change", () => { scope = select.value; history.replaceState(null, "", `?scope=${scope}`); load().catch(showError); });
    return load();
  }).catch(showError);
  form.addEventListener("input", () => { if (doc) preview(); });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const set = values();
    const unset = Object.keys(doc.settings).filter((k) => !(k in set) && k !== "opening_hours" && k !== "language" && k !== "languages" && k !== "thank_you" && k !== "followup_faces" && k !== "staff_pin");
    const own = doc.settings.questions || {};
    for (const lang of ["sv", "en"]) if (own[lang] && !(set.questions || {})[lang]) unset.push(`questions.${lang}`);
    const out = await act(() => send("PATCH", path(), { set, unset: unset.filter((k) => k !== "questions" || !set.questions) }));
    if (out) { doc = out; fill(); }
  });
})();
