/* Overview: the "needs attention" block — open alerts, silent kiosks, biggest drops (GET /api/attention). */
(function () {
  "use strict";
  const { D, t, $, el, fmt, change, ago, api, live } = window.Dash;
  if (D.page !== "overview" || !$("#attention")) return;

  function item(text, href, extra) {
    return el("li", {}, el("a", { href, text }), extra ? " " : null, extra || null);
  }

  function fill(list, items) {
    list.replaceChildren(...(items.length ? items : [el("li", { class: "muted", text: "–" })]));
  }

  const load = async () => {
    const data = await api("/api/attention");
    const link = (a) => "/alerts?location=" + encodeURIComponent(a.location_id);
    fill($("#attention-alerts"), data.alerts.map((a) =>
      item(`${a.location_name}: ${a.text}`, link(a), el("span", { class: "muted", text: t["state_" + a.state] }))));
    fill($("#attention-silent"), data.silent_kiosks.map((a) =>
      item(`${a.location_name}: ${a.kiosk_id}`, link(a), el("span", { class: "muted", text: ago(a.opened_ms) }))));
    fill($("#attention-drops"), data.drops.map((r) =>
      item(`${r.name} ${fmt(r.happy_index, 1)}`, "/locations/" + encodeURIComponent(r.id), change(r.change_index))));
    $("#attention").classList.toggle("all-clear", !data.alerts.length && !data.silent_kiosks.length && !data.drops.length);
    // no clearError() here: this block loading is no news about the overview's own numbers, whose refusal
    // (an unknown question, a reversed range) must stay on the page until the overview itself loads again
  };
  live(load);
})();
