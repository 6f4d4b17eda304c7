/* Store page: marks on the trend where this store's alerts opened (▲) and closed (◆), on the Happy Index axis.
   location.js announces each drawn trend with a "trend-drawn" event. */
(function () {
  "use strict";
  const { D, t, api } = window.Dash;
  if (D.page !== "location") return;

  function isoWeek(text) {
    const d = new Date(text + "T12:00:00Z");
    const weekday = (d.getUTCDay() + 6) % 7;
    d.setUTCDate(d.getUTCDate() - weekday + 3);  // the Thursday of its week decides the ISO year
    const firstThursday = new Date(Date.UTC(d.getUTCFullYear(), 0, 4));
    const week = 1 + Math.round((d - firstThursday) / 86400000 / 7 - ((firstThursday.getUTCDay() + 6) % 7 - 3) / 7);
    return `${d.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
  }

  document.addEventListener("trend-drawn", async (ev) => {
    const { chart, data } = ev.detail;
    if (!chart) return;
    let alerts;
    try { alerts = await api(`/api/alerts?location=${encodeURIComponent(D.location_id)}&limit=500`); } catch (e) { return; }
    const periods = data.trend.map((p) => p.period);
    const bucket = (ms) => {
      const local = new Date(ms).toLocaleDateString("sv-SE", { timeZone: D.timezone });
      return data.granularity === "day" ? local : isoWeek(local);
    };
    const opened = periods.map(() => null), closed = periods.map(() => null);
    for (const a of alerts) {
      const i = periods.indexOf(bucket(a.opened_ms));
      if (i >= 0) opened[i] = 98;
      const j = a.closed_ms ? periods.indexOf(bucket(a.closed_ms)) : -1;
      if (j >= 0) closed[j] = 92;
    }
    const marks = (label, values, style, color) => ({ type: "line", label, data: values, yAxisID: "index", showLine: false,
      pointStyle: style, pointRadius: 8, borderColor: color, backgroundColor: color, order: -1, alertMarks: true });
    chart.data.datasets = chart.data.datasets.filter((d) => !d.alertMarks);
    if (opened.some((v) => v !== null)) chart.data.datasets.push(marks(t.alert_opened, opened, "triangle", "#d55e00"));
    if (closed.some((v) => v !== null)) chart.data.datasets.push(marks(t.alert_closed, closed, "rectRot", "#0072b2"));
    chart.update("none");
    chart.canvas.dataset.alertMarks = String(opened.filter((v) => v !== null).length);
  });
})();
