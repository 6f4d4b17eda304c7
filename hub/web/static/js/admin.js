/* Admin pages, shared part and the smaller pages (regions and stores, audit log). Every write goes to the
   administration API with the session's CSRF token; the API's refusal is shown as it names the field. */
(function () {
  "use strict";
  const { D, t, locale, $, el, api, showError, clearError } = window.Dash;

  function detailText(detail) {
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
    return JSON.stringify(detail);
  }

  async function send(method, path, body) {
    const resp = await fetch(path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": D.csrf },
      body: JSON.stringify(body),
    });
    let doc = null;
    try { doc = await resp.json(); } catch (e) { /* not JSON */ }
    if (!resp.ok) throw new Error(doc ? detailText(doc.detail) : resp.statusText);
    return doc;
  }

  function say(text, isError) {
    const box = $("#admin-status");
    box.hidden = false;
    box.className = isError ? "error" : "notice";
    box.setAttribute("role", isError ? "alert" : "status");
    box.textContent = text;
  }

  async function act(work, okText) {
    try { const out = await work(); clearError(); say(okText || t.saved, false); return out; }
    catch (e) { say(`${t.error}: ${e.message}`, true); return null; }
  }

  function button(text, onClick, cls) {
    const b = el("button", { type: "button", class: cls || "", text });
    b.addEventListener("click", onClick);
    return b;
  }

  function when(ms) { return new Date(ms).toLocaleString(locale); }

  // ------------------------------------------------------------------ regions and stores
  function storesPage() {
    const form = $("#store-form"), regionForm = $("#region-form");
    let editing = null, regions = [];

    function exceptionRow(x) {
      const hours = (x && x.hours) || [null, null];
      const row = el("div", { class: "exception" },
        el("label", {}, t.date, el("input", { type: "date", name: "date", required: "required", value: (x && x.date) || "" })),
        el("label", {}, t.opens, el("input", { type: "number", name: "open", min: 0, max: 23, value: hours[0] ?? "" })),
        el("label", {}, t.closes, el("input", { type: "number", name: "close", min: 1, max: 24, value: hours[1] ?? "" })),
        el("label", {}, t.note, el("input", { name: "note", maxlength: 80, value: (x && x.note) || "" })));
      row.append(button(t.remove, () => row.remove()));
      $("#exceptions").append(row);
    }

    function fill(loc) {
      editing = loc ? loc.id : null;
      form.reset();
      $("#exceptions").replaceChildren();
      form.elements.id.readOnly = !!loc;
      const title = $("#store-form-title");
      title.textContent = loc ? `${title.dataset.edit}: ${loc.name}` : title.dataset.add;
      if (!loc) return;
      form.elements.id.value = loc.id; form.elements.name.value = loc.name;
      form.elements.region_id.value = loc.region_id || ""; form.elements.timezone.value = loc.timezone;
      for (const d of D.days) {
        const h = loc.opening_hours ? loc.opening_hours[d] : [9, 20];
        form.elements["closed_" + d].checked = !h;
        if (h) { form.elements["open_" + d].value = h[0]; form.elements["close_" + d].value = h[1]; }
      }
      (loc.opening_exceptions || []).forEach(exceptionRow);
      form.scrollIntoView({ behavior: "smooth" });
    }

    function body() {
      const f = form.elements, hours = {};
      for (const d of D.days) if (!f["closed_" + d].checked) hours[d] = [Number(f["open_" + d].value), Number(f["close_" + d].value)];
      const exceptions = [...document.querySelectorAll("#exceptions .exception")].map((row) => {
        const v = (n) => row.querySelector(`[name=${n}]`).value;
        return { date: v("date"), hours: v("open") === "" || v("close") === "" ? null : [Number(v("open")), Number(v("close"))], note: v("note") };
      });
      return { name: f.name.value, timezone: f.timezone.value, region_id: f.region_id.value || null, opening_hours: hours, opening_exceptions: exceptions };
    }

    async function load() {
      regions = await api("/api/regions/all");
      const locs = await Promise.all((await api("/api/locations")).map((l) => api(`/api/locations/${encodeURIComponent(l.id)}`)));
      const names = Object.fromEntries(regions.map((r) => [r.id, r.name]));
      $("#region-table").tBodies[0].replaceChildren(...regions.map((r) => el("tr", { "data-region": r.id },
        el("td", { text: r.id }), el("td", { text: r.name }),
        el("td", {}, button(t.edit, async () => {
          const name = prompt(t.name, r.name);
          if (name && await act(() => send("PATCH", `/api/regions/${r.id}`, { name }))) load();
        })))));
      const select = form.elements.region_id;
      select.replaceChildren(el("option", { value: "", text: t.no_region }), ...regions.map((r) => el("option", { value: r.id, text: r.name })));
      $("#store-table").tBodies[0].replaceChildren(...locs.map((l) => el("tr", { "data-store": l.id },
        el("td", {}, el("a", { href: `/locations/${encodeURIComponent(l.id)}`, text: l.name })),
        el("td", { text: names[l.region_id] || "–" }), el("td", { text: l.timezone }),
        el("td", {}, button(t.edit, () => fill(l))))));
    }

    api("/api/timezones").then((zones) => {
      form.elements.timezone.replaceChildren(...zones.map((z) => el("option", { value: z, text: z })));
      form.elements.timezone.value = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (!form.elements.timezone.value) form.elements.timezone.value = "Europe/Stockholm";
    }).catch(showError);
    regionForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = regionForm.elements;
      if (await act(() => send("POST", "/api/regions", { id: f.id.value, name: f.name.value }))) { regionForm.reset(); load(); }
    });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const done = editing
        ? await act(() => send("PATCH", `/api/locations/${encodeURIComponent(editing)}`, body()))
        : await act(() => send("POST", "/api/locations", { id: form.elements.id.value, ...body() }));
      if (done) { fill(null); load(); }
    });
    $("#add-exception").addEventListener("click", () => exceptionRow(null));
    $("#store-form-reset").addEventListener("click", () => fill(null));
    load().catch(showError);
  }

  // ------------------------------------------------------------------ audit log
  function auditPage() {
    api("/api/audit?limit=500").then((rows) => {
      $("#audit-table").tBodies[0].replaceChildren(...rows.map((e) => el("tr", {},
        el("td", { text: when(e.at_ms) }), el("td", { text: e.actor }), el("td", { text: e.action }),
        el("td", { text: e.target }), el("td", { class: "detail", text: JSON.stringify(e.detail) }))));
      if (!rows.length) $("#audit-table").tBodies[0].append(el("tr", {}, el("td", { colspan: 5, class: "empty", text: t.no_data })));
    }).catch(showError);
  }

  // ------------------------------------------------------------------ failed sign-ins
  function signInsPage() {
    function fillTable(id, rows, cells, columns) {
      const body = $(id).tBodies[0];
      const heads = [...$(id).tHead.rows[0].cells].map((th) => th.textContent);
      body.replaceChildren(...rows.map((r) => el("tr", {}, ...cells(r).map((td, i) => {
        td.dataset.label = heads[i]; // a phone shows each row as a card: say what each value is
        return td;
      }))));
      if (!rows.length) body.append(el("tr", {}, el("td", { colspan: columns, class: "empty", text: t.no_sign_in_failures })));
    }
    api("/api/sign-in-failures?limit=500").then((doc) => {
      fillTable("#sign-in-groups", doc.by_client_and_name, (g) => [
        el("td", { class: "mono", text: g.client }), el("td", { text: g.name }),
        el("td", { class: "num", text: String(g.count) }), el("td", { text: when(g.first_ms) }), el("td", { text: when(g.last_ms) }),
      ], 5);
      fillTable("#sign-in-recent", doc.recent, (f) => [
        el("td", { text: when(f.at_ms) }), el("td", { class: "mono", text: f.client }), el("td", { text: f.name }),
      ], 3);
    }).catch(showError);
  }

  window.Admin = { send, say, act, button, when, detailText };
  if (D.section === "stores") storesPage();
  if (D.section === "audit") auditPage();
  if (D.section === "sign-ins") signInsPage();
})();
