/* Alerts page: alerts of your stores with a store and state filter, acknowledge with a comment, history;
   your own notification settings (PUT /api/me/alert-settings). Writes carry the session's CSRF token. */
(function () {
  "use strict";
  const { D, t, $, el, ago, api, live, showError, clearError } = window.Dash;
  if (D.page !== "alerts") return;
  const params = new URLSearchParams(location.search);
  const locSel = $("#alert-location"), stateSel = $("#alert-state");
  locSel.value = params.get("location") || "";
  stateSel.value = params.get("state") || "";

  async function send(method, path, body) {
    const resp = await fetch(path, {
      method, credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": D.csrf },
    });
    const doc = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(typeof doc.detail === "string" ? doc.detail : JSON.stringify(doc.detail));
    return doc;
  }

  const when = (ms) => (ms ? new Date(ms).toLocaleString(D.lang === "sv" ? "sv-SE" : "en-GB") : "–");

  function historyBox(a) {
    const box = el("details", {}, el("summary", { text: t.history }));
    box.addEventListener("toggle", async () => {
      if (!box.open || box.dataset.loaded) return;
      const doc = await api(`/api/alerts/${a.id}`);
      box.dataset.loaded = "1";
      box.append(el("ul", { class: "plain" }, ...doc.events.map((e) =>
        el("li", { text: `${when(e.at_ms)} · ${e.event}${e.user ? " · " + e.user : ""}${e.comment && e.event !== "opened" ? ": " + e.comment : ""}` }))));
    });
    return box;
  }

  function ackForm(a) {
    if (a.state === "closed") return el("span", { text: a.ack_comment || "" });
    const input = el("input", { type: "text", name: "comment", required: "required", maxlength: "2000",
      placeholder: t.comment, "aria-label": t.comment, value: a.ack_comment || "" });
    const form = el("form", { class: "ack" }, input, " ", el("button", { type: "submit", text: t.acknowledge }));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try { await send("POST", `/api/alerts/${a.id}/acknowledge`, { comment: input.value }); input.value = ""; refresh(); }
      catch (e) { showError(e); }
    });
    return form;
  }

  const busy = () => [...document.querySelectorAll("#alerts-table input")].some((i) => i === document.activeElement);

  async function load() {
    if (busy()) return;
    const q = new URLSearchParams();
    if (locSel.value) q.append("location", locSel.value);
    if (stateSel.value) q.append("state", stateSel.value);
    const rows = await api("/api/alerts?" + q);
    const body = $("#alerts-table").tBodies[0];
    body.replaceChildren(...rows.map((a) => el("tr", { class: "alert-" + a.state, "data-alert": a.id },
      el("td", {}, el("a", { href: "/locations/" + encodeURIComponent(a.location_id), text: a.location_name })),
      el("td", {}, a.text, historyBox(a)),
      el("td", {}, el("span", { class: "badge state-" + a.state, text: t["state_" + a.state] })),
      el("td", { text: when(a.opened_ms), title: ago(a.opened_ms) }),
      el("td", { text: when(a.closed_ms) }),
      el("td", {}, ackForm(a)),
    )));
    if (!rows.length) body.append(el("tr", {}, el("td", { colspan: 6, class: "empty", text: t.no_alerts })));
    clearError();
  }
  const refresh = live(load);
  for (const sel of [locSel, stateSel]) sel.addEventListener("change", () => {
    const q = new URLSearchParams();
    if (locSel.value) q.set("location", locSel.value);
    if (stateSel.value) q.set("state", stateSel.value);
    history.replaceState(null, "", "/alerts" + (q.toString() ? "?" + q : ""));
    refresh();
  });

  const form = $("#settings-form");
  api("/api/me/alert-settings").then((s) => {
    form.email_alerts.checked = s.email_alerts;
    form.webhook_url.value = s.webhook_url || "";
    form.report_period.value = s.report_period || "";
    form.report_time.value = s.report_time;
    form.querySelectorAll("input[name=locations]").forEach((box) => { box.checked = s.locations.includes(box.value); });
  }).catch(() => { form.hidden = true; });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await send("PUT", "/api/me/alert-settings", {
        email_alerts: form.email_alerts.checked,
        webhook_url: form.webhook_url.value || null,
        report_period: form.report_period.value || null,
        report_time: form.report_time.value,
        locations: [...form.querySelectorAll("input[name=locations]:checked")].map((b) => b.value),
        regions: [],
      });
      $("#settings-status").textContent = t.saved;
    } catch (e) { showError(e); }
  });
})();
