// meterhub's browser code: CSRF for htmx, visible errors, busy buttons, confirmations, uPlot charts that load
// from the JSON API, and live updates from the tenant's server-sent events.
(function () {
  "use strict";
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  function flash(message) {
    const box = document.getElementById("flash");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
  }

  // ---- htmx: CSRF header, error responses shown, never swallowed ----
  document.addEventListener("htmx:configRequest", (e) => { e.detail.headers["X-CSRF-Token"] = csrf(); });
  document.addEventListener("htmx:beforeSwap", (e) => {
    const status = e.detail.xhr.status;
    if (status === 422 || status === 409 || status === 429) { e.detail.shouldSwap = true; e.detail.isError = false; }
  });
  document.addEventListener("htmx:responseError", (e) => {
    flash(e.detail.xhr.status + ": " + (e.detail.xhr.responseText || "").replace(/<[^>]*>/g, " ").slice(0, 300));
  });
  document.addEventListener("htmx:sendError", () => flash(document.body.dataset.errorNetwork || "network error"));

  // ---- forms: confirmation and a busy indicator while the server works ----
  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { e.preventDefault(); return; }
    const button = form.querySelector('button[type="submit"]');
    if (button && !form.classList.contains("custom-range")) button.setAttribute("aria-busy", "true");
  });
  window.addEventListener("pageshow", () => {
    document.querySelectorAll('[aria-busy="true"]').forEach((b) => b.removeAttribute("aria-busy"));
  });

  // ---- charts ----
  const charts = [];
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#1e88e5";

  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error((body && body.error && body.error.message) || response.status + "");
    return body;
  }

  function status(el, text) {
    let s = el.querySelector(".chart-status");
    if (!s) { s = document.createElement("div"); s.className = "chart-status"; el.appendChild(s); }
    s.textContent = text;
    s.hidden = !text;
  }

  function plot(chart, opts, data) {
    const width = Math.max(chart.el.clientWidth, 280);
    opts.width = width;
    opts.height = width < 600 ? 220 : 300;
    if (chart.plot) chart.plot.destroy();
    chart.zoomed = false;
    opts.hooks = { setSelect: [() => { chart.zoomed = true; }] };
    chart.plot = new uPlot(opts, data, chart.el);
    chart.el.dataset.points = String(data[0].length);
  }

  async function loadPower(chart) {
    const range = chart.range;
    const query = typeof range === "string" ? "range=" + range : "from=" + range.from + "&to=" + range.to;
    const body = await getJson(chart.el.dataset.url + "?" + query);
    const xs = [], ys = [];
    for (const p of body.points) { xs.push(p[0] / 1000); ys.push(p[1]); }
    chart.data = [xs, ys];
    plot(chart, { series: [{}, { label: "W", stroke: css("--pico-primary"), width: 2, fill: "rgba(30,136,229,.12)" }],
                  axes: [{}, { size: 60 }], scales: { x: { time: true } } }, chart.data);
  }

  async function loadEnergy(chart) {
    const body = await getJson(chart.el.dataset.url + "?period=" + chart.period);
    const xs = body.bars.map((b, i) => i), ys = body.bars.map((b) => b.energy_kwh);
    const labels = body.bars.map((b) => b.label);
    chart.data = [xs, ys];
    plot(chart, {
      series: [{}, { label: "kWh", stroke: css("--pico-primary"), fill: "rgba(30,136,229,.5)",
                     paths: uPlot.paths.bars({ size: [0.7, 60] }), points: { show: false } }],
      scales: { x: { time: false } },
      axes: [{ values: (u, ticks) => ticks.map((t) => labels[t] ?? "") }, { size: 60 }],
    }, chart.data);
  }

  async function loadChannels(chart) {
    const body = await getJson(chart.el.dataset.url + "?range=" + chart.range);
    const channels = body.channels.filter((c) => c.power);
    if (!channels.length) { status(chart.el, "–"); return; }
    const xs = channels[0].power.map((p) => p[0] / 1000);
    const data = [xs];
    const series = [{}];
    const colours = ["#1e88e5", "#e53935", "#43a047", "#fb8c00", "#8e24aa", "#00897b"];
    channels.forEach((c, i) => {
      const byTs = new Map(c.power.map((p) => [p[0] / 1000, p[1]]));
      data.push(xs.map((x) => byTs.get(x) ?? null));
      series.push({ label: "MPPT " + c.channel + " W", stroke: colours[i % colours.length], width: 2 });
    });
    chart.data = data;
    plot(chart, { series, axes: [{}, { size: 60 }], scales: { x: { time: true } } }, data);
  }

  async function load(chart) {
    status(chart.el, "…");
    chart.el.setAttribute("aria-busy", "true");
    try {
      const kind = chart.el.dataset.kind;
      if (kind === "power") await loadPower(chart);
      else if (kind === "energy") await loadEnergy(chart);
      else await loadChannels(chart);
      status(chart.el, chart.data && chart.data[0].length ? "" : "–");
    } catch (err) {
      status(chart.el, "");
      flash(err.message);
    } finally {
      chart.el.removeAttribute("aria-busy");
    }
  }

  function press(group, button) {
    group.querySelectorAll("button[data-range],button[data-period]").forEach((b) => b.setAttribute("aria-pressed", b === button));
  }

  function setupChart(el) {
    const chart = { el, range: el.dataset.range, period: el.dataset.period, live: JSON.parse(el.dataset.liveSum || "[]") };
    charts.push(chart);
    const picker = el.nextElementSibling?.classList.contains("picker") ? el.nextElementSibling : null;
    if (picker) {
      picker.addEventListener("click", (e) => {
        const b = e.target.closest("button[data-range],button[data-period]");
        if (!b) return;
        if (b.dataset.range) chart.range = b.dataset.range; else chart.period = b.dataset.period;
        press(picker, b);
        load(chart);
      });
      picker.querySelector(".custom-range")?.addEventListener("submit", (e) => {
        e.preventDefault();
        const f = e.target;
        chart.range = { from: encodeURIComponent(f.from.value), to: encodeURIComponent(f.to.value) };
        press(picker, null);
        load(chart);
      });
      const current = picker.querySelector(`[data-range="${chart.range}"],[data-period="${chart.period}"]`);
      if (current) press(picker, current);
    }
    load(chart);
  }

  // A live sample of a plotted series extends a power chart; the zoom stays if the user zoomed in.
  function appendLive(samples) {
    for (const chart of charts) {
      if (chart.el.dataset.kind !== "power" || !chart.plot || !chart.live.length || typeof chart.range !== "string") continue;
      const latest = new Map();
      for (const [series, ts, value] of samples) if (chart.live.includes(series)) latest.set(ts, (latest.get(ts) || 0) + value);
      if (!latest.size || chart.live.length > 1) continue;  // tenant sums refresh with the cards instead
      const [xs, ys] = chart.data;
      for (const [ts, value] of [...latest].sort((a, b) => a[0] - b[0])) {
        const x = ts / 1000;
        if (xs.length && x <= xs[xs.length - 1]) continue;
        xs.push(x); ys.push(value);
      }
      chart.plot.setData(chart.data, !chart.zoomed);
      chart.el.dataset.points = String(xs.length);
    }
  }

  // ---- live: server-sent events -> refresh figures (at most once a second) and extend charts ----
  function setupLive() {
    const url = document.body.dataset.events;
    const regions = [...document.querySelectorAll("[data-live]")];
    if (!url || (!regions.length && !charts.length) || !window.EventSource) return;
    const watched = new Set();
    regions.forEach((r) => JSON.parse(r.dataset.liveSeries || "[]").forEach((s) => watched.add(s)));
    charts.forEach((c) => c.live.forEach((s) => watched.add(s)));
    let pending = null, last = 0;
    const refresh = () => {
      pending = null;
      last = Date.now();
      regions.forEach((r) => htmx.ajax("GET", r.dataset.live, { target: r, swap: "innerHTML" }));
    };
    const source = new EventSource(url);
    source.addEventListener("samples", (e) => {
      const samples = JSON.parse(e.data).filter((s) => watched.has(s[0]));
      if (!samples.length) return;
      appendLive(samples);
      document.body.dataset.liveEvents = String(Number(document.body.dataset.liveEvents || 0) + 1);
      if (!pending) pending = setTimeout(refresh, Math.max(0, 1000 - (Date.now() - last)));
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".chart").forEach(setupChart);
    setupLive();
    let width = window.innerWidth;
    window.addEventListener("resize", () => {
      if (Math.abs(window.innerWidth - width) < 40) return;
      width = window.innerWidth;
      charts.forEach((c) => c.plot && c.plot.setSize({ width: Math.max(c.el.clientWidth, 280), height: width < 600 ? 220 : 300 }));
    });
  });
})();
