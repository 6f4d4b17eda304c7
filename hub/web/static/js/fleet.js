/* Kiosks page: online/offline, flagged for too many taps, last seen, backlog, version, clock skew. */
(function () {
  "use strict";
  const { D, t, locale, FACE_COLORS, $, el, fmt, change, day, ago, lowBadge, distBar, state, query, rememberState, bindRangebar, showPeriod, api, live, showError, clearError, kpi } = window.Dash;

  // ------------------------------------------------------------------ fleet
  function skew(ms) {
    if (ms === null || ms === undefined) return "–";
    // under 2 s is measurement noise to a manager, not a clock fault (issue 11, defect 10)
    if (Math.abs(ms) < 2000) return t.in_sync;
    const a = Math.abs(ms), sign = ms > 0 ? "+" : ms < 0 ? "−" : "±";
    if (a < 1000) return `${sign}${fmt(a)} ms`;
    if (a < 120000) return `${sign}${fmt(a / 1000, 1)} s`;
    if (a < 7200000) return `${sign}${fmt(a / 60000, 0)} min`;
    return `${sign}${fmt(a / 3600000, 1)} h`;
  }

  function fleetPage() {
    live(async () => {
      const data = await api("/api/fleet");
      clearError();
      $("#fleet-kpis").replaceChildren(
        kpi(t.online, fmt(data.online)),
        kpi(t.offline, fmt(data.offline), null, data.offline ? "offline" : ""),
        kpi(t.flagged, fmt(data.flagged), null, data.flagged ? "offline" : ""),
      );
      $("#fleet-table").tBodies[0].replaceChildren(...data.kiosks.map((k) => el("tr", { class: k.is_online ? "" : "offline", "data-kiosk": k.id },
        el("td", { title: k.id, text: k.name || k.id }),
        el("td", {}, el("a", { href: `/locations/${encodeURIComponent(k.location_id)}`, text: k.location_name || k.location_id })),
        el("td", {}, el("span", { class: "badge " + (k.is_online ? "on" : "off"), text: t[k.state] || k.state }),
          k.is_flagged ? el("span", { class: "badge off flagged", title: t.flagged_title.replace("{n}", fmt(k.taps_over_limit)), text: t.flagged_badge }) : null),
        el("td", { title: k.last_seen_ms ? new Date(k.last_seen_ms).toLocaleString(locale) : "", text: ago(k.last_seen_ms) }),
        el("td", { class: "num", text: fmt(k.backlog) }),
        el("td", { text: k.version || "–" }),
        el("td", { class: "num", text: skew(k.clock_skew_ms) }))));
      if (!data.kiosks.length) $("#fleet-table").tBodies[0].append(el("tr", {}, el("td", { colspan: 7, class: "empty", text: t.no_data })));
    });
  }

  if (D.page === "fleet") fleetPage();
})();
