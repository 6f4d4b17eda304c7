/* Admin: kiosks. Add one (its config file shown and downloadable once), rename, move, disable/enable, retire,
   a new staff PIN (shown once). */
(function () {
  "use strict";
  const { t, $, el, api, showError, ago } = window.Dash;
  const { send, act, button } = window.Admin;
  const form = $("#kiosk-form");
  let locations = [];

  function showConfigOnce(out) {
    const box = $("#config-once");
    box.hidden = false;
    $("#config-text").textContent = out.config_toml;
    const link = $("#config-download");
    link.href = "data:application/toml;charset=utf-8," + encodeURIComponent(out.config_toml);
    link.download = out.filename;
    box.scrollIntoView({ behavior: "smooth" });
  }

  async function newPin(k) {
    if (!confirm(t.new_pin_confirm)) return;
    const out = await act(() => send("POST", `/api/kiosks/${encodeURIComponent(k.id)}/pin`, {}));
    if (!out) return;
    const box = $("#pin-once");
    box.hidden = false;
    $("#pin-kiosk").textContent = k.name || k.id;
    $("#pin-text").textContent = out.staff_pin;
    box.scrollIntoView({ behavior: "smooth" });
  }

  function locationSelect(current, onChange) {
    const s = el("select", { "aria-label": t.move_to }, ...locations.map((l) => el("option", { value: l.id, text: l.name })));
    s.value = current;
    s.addEventListener("change", () => onChange(s.value));
    return s;
  }

  async function load() {
    const [kiosks, fleet] = await Promise.all([api("/api/kiosks"), api("/api/fleet")]);
    const states = Object.fromEntries(fleet.kiosks.map((k) => [k.id, k]));
    const patch = async (k, body) => { if (await act(() => send("PATCH", `/api/kiosks/${encodeURIComponent(k.id)}`, body))) load(); };
    $("#kiosk-admin-table").tBodies[0].replaceChildren(...kiosks.map((k) => {
      const f = states[k.id];
      const state = k.is_retired ? t.retired : k.is_disabled ? t.disabled : f ? [t[f.state] || f.state, f.last_seen_ms ? ago(f.last_seen_ms) : ""].filter(Boolean).join(" · ") : "–";
      const name = el("input", { value: k.name || "", maxlength: 80, "aria-label": t.friendly_name, placeholder: k.id });
      const actions = el("div", { class: "actions" });
      if (!k.is_retired) {
        actions.append(
          button(t.save, () => patch(k, { name: name.value })),
          button(k.is_disabled ? t.enable : t.disable, () => patch(k, { is_disabled: !k.is_disabled })),
          button(t.new_pin, () => newPin(k)),
          button(t.retire, () => { if (confirm(t.retire_confirm)) patch(k, { is_retired: true }); }, "danger"));
      }
      return el("tr", { "data-kiosk": k.id, class: k.is_retired ? "retired" : "" },
        el("td", {}, k.is_retired ? (k.name || k.id) : name), el("td", { class: "mono", text: k.id }),
        el("td", {}, k.is_retired ? (locations.find((l) => l.id === k.location_id) || {}).name || k.location_id
          : locationSelect(k.location_id, (to) => patch(k, { location_id: to }))),
        el("td", { text: state }), el("td", {}, actions));
    }));
    if (!kiosks.length) $("#kiosk-admin-table").tBodies[0].append(el("tr", {}, el("td", { colspan: 5, class: "empty", text: t.no_data })));
  }

  api("/api/locations").then((locs) => {
    locations = locs;
    form.elements.location_id.replaceChildren(...locs.map((l) => el("option", { value: l.id, text: l.name })));
    return load();
  }).catch(showError);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = form.elements;
    const out = await act(() => send("POST", "/api/kiosks", { id: f.id.value, name: f.name.value || null, location_id: f.location_id.value, tls: f.tls.checked }));
    if (out) { form.reset(); showConfigOnce(out); load(); }
  });
})();
