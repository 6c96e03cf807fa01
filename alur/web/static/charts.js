// Bar charts in inline SVG (no library): one group of bars per interval, one colour per series.
"use strict";
const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const COLOURS = ["#4ea1ff", "#2fbf71", "#ef4e4e", "#f0b429"];
  function svg(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  // rows: [{label, values: [..]}]; series: names of the values; format: how a value reads in a tooltip;
  // ceiling: the top of the scale when it is fixed (1 for a rate), else the largest value.
  function bars(title, rows, series, format, ceiling) {
    const W = 600, H = 260, left = 44, bottom = 28, top = 40;
    const max = ceiling || Math.max(1e-9, ...rows.flatMap((r) => r.values.filter((v) => v !== null)));
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": title, width: "100%" });
    chart.append(svg("text", { x: 0, y: 14, class: "title" }, title));
    const band = (W - left) / Math.max(1, rows.length), bar = Math.min(36, Math.max(2, (band * 0.8) / series.length));
    rows.forEach((row, i) => {
      row.values.forEach((v, j) => {
        if (v === null) return;
        const h = ((H - top - bottom) * v) / max;
        const rect = svg("rect", { x: left + i * band + j * bar, y: H - bottom - h, width: bar - 1, height: h, fill: COLOURS[j % COLOURS.length] });
        rect.append(svg("title", {}, `${row.label} ${series[j]}: ${format(v)}`));
        chart.append(rect);
      });
      if (rows.length <= 8 || i % Math.ceil(rows.length / 8) === 0)
        chart.append(svg("text", { x: left + i * band, y: H - 8 }, row.label));
    });
    chart.append(svg("text", { x: 0, y: top + 10 }, format(max)));
    chart.append(svg("line", { x1: left - 4, x2: W, y1: H - bottom, y2: H - bottom, stroke: "#3a4350" }));
    series.forEach((name, j) => chart.append(svg("text", { x: left + j * 150, y: 32, fill: COLOURS[j % COLOURS.length], style: `fill:${COLOURS[j % COLOURS.length]}` }, "■ " + name)));
    return chart;
  }
  return { bars };
})();
