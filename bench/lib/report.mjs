// Turns measurements into the Markdown table, the JSON file and an SVG chart.

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** rows: [{ case, label, kind, size, newFiles, seconds[], rssKB[], error? }] */
export function summarize(results) {
  const byKey = new Map();
  for (const r of results) {
    const key = `${r.case}@${r.size}`;
    const entry = byKey.get(key) ?? {
      case: r.case,
      label: r.label,
      kind: r.kind,
      size: r.size,
      newFiles: r.newFiles,
      seconds: [],
      rssKB: [],
      errors: [],
    };
    if (r.error) entry.errors.push(r.error);
    else {
      entry.seconds.push(r.seconds);
      entry.rssKB.push(r.rssKB);
    }
    byKey.set(key, entry);
  }
  const rows = [...byKey.values()].map((e) => ({
    ...e,
    median: median(e.seconds),
    min: Math.min(...e.seconds),
    max: Math.max(...e.seconds),
    peakRssMB: Math.max(0, ...e.rssKB) / 1024,
  }));
  for (const row of rows) {
    const base = rows.find(
      (r) =>
        r.size === row.size && r.case === (row.kind === 'sync' ? 'recsync-sync' : 'recsync-plan'),
    );
    row.ratio = base && Number.isFinite(row.median) ? row.median / base.median : NaN;
    row.filesPerSecond =
      row.kind === 'sync' && Number.isFinite(row.median) ? row.newFiles / row.median : undefined;
  }
  return rows;
}

const fmt = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '—');

export function markdown(rows, meta) {
  const lines = [
    `Archive: date folders of ${meta.perDay.toLocaleString('en-US')} files a day (more ` +
      'days = a bigger archive), the newest day new; bucket pre-filled with every other ' +
      'day. ' +
      `Median of ${meta.runs} run(s) (min–max), wall time including process start. Ratio = ` +
      `time / recsync's time for the same job (plan vs plan, sync vs sync).`,
    '',
    '| files in archive | new files | command | median s | min–max s | ratio to recsync | ' +
      'files/s | peak RSS MB |',
    '|---:|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const status =
      r.errors.length && !r.seconds.length ? ` (failed: ${r.errors[0].slice(0, 60)})` : '';
    lines.push(
      `| ${r.size.toLocaleString('en-US')} | ${r.newFiles} | ${r.label}${status} | ` +
        `${fmt(r.median)} | ${fmt(r.min)}–${fmt(r.max)} | ${fmt(r.ratio)}x | ` +
        `${r.filesPerSecond ? fmt(r.filesPerSecond, 0) : ''} | ${fmt(r.peakRssMB, 0)} |`,
    );
  }
  return lines.join('\n');
}

const COLORS = [
  '#d62728',
  '#1f77b4',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#17becf',
];

/** Time against archive size, log-log, one line per command. */
export function svgChart(rows, title) {
  const W = 760;
  const H = 420;
  const m = { l: 70, r: 260, t: 40, b: 50 };
  const sizes = [...new Set(rows.map((r) => r.size))].sort((a, b) => a - b);
  const times = rows.map((r) => r.median).filter((t) => Number.isFinite(t) && t > 0);
  if (sizes.length === 0 || times.length === 0) return '<svg xmlns="http://www.w3.org/2000/svg"/>';
  const [x0, x1] = [Math.log10(sizes[0]) - 0.1, Math.log10(sizes.at(-1)) + 0.1];
  const [y0, y1] = [
    Math.floor(Math.log10(Math.min(...times))),
    Math.ceil(Math.log10(Math.max(...times))),
  ];
  const X = (s) => m.l + ((Math.log10(s) - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const Y = (t) => H - m.b - ((Math.log10(t) - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="22" font-size="15" font-weight="bold">${title}</text>`,
  ];
  for (let e = y0; e <= y1; e++) {
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${Y(10 ** e)}" y2="${Y(10 ** e)}" stroke="#ddd"/>`,
      `<text x="${m.l - 8}" y="${Y(10 ** e) + 4}" ` +
        `text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)} s</text>`,
    );
  }
  for (const s of sizes)
    parts.push(
      `<text x="${X(s)}" y="${H - m.b + 18}" ` +
        `text-anchor="middle">${s >= 1e6 ? `${s / 1e6}M` : `${s / 1e3}k`}</text>`,
    );
  parts.push(
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">files in archive ` +
      '(one new day each)</text>',
  );
  const cases = [...new Set(rows.map((r) => r.case))];
  cases.forEach((c, i) => {
    const pts = rows
      .filter((r) => r.case === c && Number.isFinite(r.median))
      .sort((a, b) => a.size - b.size);
    if (pts.length === 0) return;
    const color = COLORS[i % COLORS.length];
    const width = c.startsWith('recsync') ? 3 : 1.5;
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="${width}" ` +
        `points="${pts.map((p) => `${X(p.size)},${Y(p.median)}`).join(' ')}"/>`,
    );
    for (const p of pts)
      parts.push(`<circle cx="${X(p.size)}" cy="${Y(p.median)}" r="3" fill="${color}"/>`);
    parts.push(
      `<rect x="${W - m.r + 12}" y="${m.t + i * 20 - 9}" width="14" height="4" fill="${color}"/>`,
      `<text x="${W - m.r + 32}" y="${m.t + i * 20}">${escapeXml(pts[0].label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function escapeXml(s) {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&apos;');
}
