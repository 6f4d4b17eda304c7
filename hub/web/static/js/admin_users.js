/* Admin: users. Add (the hub makes the password, shown once), role, stores and regions, reset password, disable. */
(function () {
  "use strict";
  const { t, $, el, api, showError } = window.Dash;
  const { send, act, button, say } = window.Admin;
  const form = $("#user-form");
  let editing = null, regions = [], locations = [];

  function checks(box, items, kind) {
    box.replaceChildren(...items.map((x) => el("label", { class: "check" },
      el("input", { type: "checkbox", name: kind, value: x.id }), ` ${kind === "region" ? t.region : t.location}: ${x.name}`)));
  }

  function checked(kind) { return [...form.querySelectorAll(`input[name=${kind}]:checked`)].map((c) => c.value); }

  function fill(u) {
    editing = u ? u.name : null;
    form.reset();
    form.elements.name.readOnly = !!u;
    const title = $("#user-form-title");
    title.textContent = u ? `${title.dataset.edit}: ${u.name}` : title.dataset.add;
    if (!u) return;
    form.elements.name.value = u.name; form.elements.role.value = u.role;
    for (const c of form.querySelectorAll("input[name=region]")) c.checked = u.regions.includes(c.value);
    for (const c of form.querySelectorAll("input[name=store]")) c.checked = u.locations.includes(c.value);
    form.scrollIntoView({ behavior: "smooth" });
  }

  function showPassword(name, password) { if (password) say(t.new_password_once.replace("{name}", name) + password, false); }

  async function load() {
    const users = await api("/api/users");
    const regionName = Object.fromEntries(regions.map((r) => [r.id, r.name]));
    const storeName = Object.fromEntries(locations.map((l) => [l.id, l.name]));
    const patch = async (u, body) => {
      const out = await act(() => send("PATCH", `/api/users/${encodeURIComponent(u.name)}`, body));
      if (out) { showPassword(u.name, out.password); load(); }
    };
    $("#user-table").tBodies[0].replaceChildren(...users.map((u) => el("tr", { "data-user": u.name, class: u.is_disabled ? "offline" : "" },
      el("td", { text: u.name }), el("td", { text: t["role_" + u.role] || u.role }),
      el("td", { text: u.role === "admin" ? "–" : [...u.regions.map((r) => regionName[r] || r), ...u.locations.map((l) => storeName[l] || l)].join(", ") || "–" }),
      el("td", { text: u.is_disabled ? t.user_disabled : t.active }),
      el("td", {}, el("div", { class: "actions" }, button(t.edit, () => fill(u)), button(t.reset_password, () => patch(u, { reset_password: true })),
        button(u.is_disabled ? t.enable : t.disable, () => patch(u, { is_disabled: !u.is_disabled })))))));
  }

  Promise.all([api("/api/regions/all"), api("/api/locations")]).then(([r, l]) => {
    regions = r; locations = l;
    checks($("#assign-regions"), regions, "region");
    checks($("#assign-stores"), locations, "store");
    return load();
  }).catch(showError);
  form.elements.role.addEventListener("change", () => { $("#assignments").disabled = form.elements.role.value === "admin"; });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = form.elements, isAdmin = f.role.value === "admin";
    const body = { role: f.role.value, location_ids: isAdmin ? [] : checked("store"), region_ids: isAdmin ? [] : checked("region") };
    const name = f.name.value;
    const out = editing
      ? await act(() => send("PATCH", `/api/users/${encodeURIComponent(editing)}`, body))
      : await act(() => send("POST", "/api/users", { name, ...body }));
    if (out) { fill(null); $("#assignments").disabled = false; showPassword(name, out.password); load(); }
  });
  $("#user-form-reset").addEventListener("click", () => fill(null));
})();
