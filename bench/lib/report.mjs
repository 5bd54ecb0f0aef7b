// Turns measurements into the Markdown table, the JSON file and an SVG chart.

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * results: [{ case, label, kind, group, size, perDay, newFiles, bytes?, seconds, cpu, rssKB, error?
 * }]
 */
export function summarize(results) {
  const byKey = new Map();
  for (const r of results) {
    const key = `${r.group}:${r.case}@${r.size}@${r.perDay}`;
    const entry = byKey.get(key) ?? {
      case: r.case,
      label: r.label,
      kind: r.kind,
      group: r.group,
      size: r.size,
      perDay: r.perDay,
      newFiles: r.newFiles,
      bytes: r.bytes,
      seconds: [],
      cpu: [],
      rssKB: [],
      errors: [],
    };
    if (r.error) entry.errors.push(r.error);
    else {
      entry.seconds.push(r.seconds);
      entry.cpu.push(r.cpu);
      entry.rssKB.push(r.rssKB);
    }
    byKey.set(key, entry);
  }
  const rows = [...byKey.values()].map((e) => {
    // Large files: best of the runs (one slow run is the shared machine, not the tool).
    const pick = e.group === 'large' ? (v) => Math.min(...v) : median;
    return {
      ...e,
      median: median(e.seconds),
      time: e.seconds.length ? pick(e.seconds) : NaN,
      min: Math.min(...e.seconds),
      max: Math.max(...e.seconds),
      cpuTime: e.cpu.length ? pick(e.cpu) : NaN,
      peakRssMB: Math.max(0, ...e.rssKB) / 1024,
    };
  });
  for (const row of rows) {
    const base = rows.find(
      (r) =>
        r.group === row.group &&
        r.size === row.size &&
        r.perDay === row.perDay &&
        r.case === (row.kind === 'sync' ? 'recsync-sync' : 'recsync-plan'),
    );
    row.ratio = base && Number.isFinite(row.time) ? row.time / base.time : NaN;
    row.filesPerSecond =
      row.kind === 'sync' && Number.isFinite(row.time) ? row.newFiles / row.time : undefined;
    row.cpuPerFileMs =
      row.kind === 'sync' && row.group === 'small'
        ? (row.cpuTime * 1000) / row.newFiles
        : undefined;
    row.cpuPerGiB =
      row.group === 'large' && row.bytes ? row.cpuTime / (row.bytes / 2 ** 30) : undefined;
  }
  return rows;
}

const fmt = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '—');
const count = (n) => n.toLocaleString('en-US');

export function markdown(rows, meta) {
  const lines = [
    'Archives: date folders, the newest day new (its file count = "new files"), the bucket ' +
      'pre-filled with the days before it; ' +
      `large files: ${meta.large.count} × ${meta.large.mib} MiB new into an empty bucket. ` +
      `Small files: median of ${meta.runs} run(s); large files: best of ${meta.largeRuns}. Wall ` +
      'time and CPU (user + sys of the client process, ' +
      "from /usr/bin/time) include process start. Ratio = wall time / recsync's for the same job " +
      '(plan vs plan, sync vs sync).',
    '',
    '| files in archive | new files | command | wall s | min–max s | ratio to recsync | CPU s | ' +
      'CPU per file ms (per GiB s) | peak RSS MB |',
    '|---:|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const status =
      r.errors.length && !r.seconds.length ? ` (failed: ${r.errors[0].slice(0, 60)})` : '';
    const files =
      r.group === 'large'
        ? `${r.newFiles} × ${fmt(r.bytes / r.newFiles / 2 ** 20, 0)} MiB`
        : count(r.size);
    const per = r.cpuPerFileMs ?? r.cpuPerGiB;
    lines.push(
      `| ${files} | ${count(r.newFiles)} | ${r.label}${status}${r.note ? ` (${r.note})` : ''} | ` +
        `${fmt(r.time)} | ${fmt(r.min)}–${fmt(r.max)} | ${fmt(r.ratio)}x | ${fmt(r.cpuTime)} ` +
        `| ${per === undefined ? '' : r.cpuPerGiB !== undefined ? `(${fmt(per)})` : fmt(per)} ` +
        `| ${fmt(r.peakRssMB, 0)} |`,
    );
  }
  return lines.join('\n');
}

/**
 * Every performance target with its measured ratio and whether it is met. Missing inputs (a
 * peer not installed, a case that failed) give a target with `value: NaN` and a reason.
 */
export function evaluate({ rows, idle, mtime }) {
  const targets = [];
  const add = (id, what, value, limit, detail, cmp = 'le') =>
    targets.push({
      id,
      what,
      value,
      limit,
      cmp,
      met: Number.isFinite(value) ? (cmp === 'eq' ? value === limit : value <= limit) : null,
      detail,
    });
  const row = (group, c, size, perDay) =>
    rows.find(
      (r) =>
        r.group === group &&
        r.case === c &&
        (size === undefined || r.size === size) &&
        (perDay === undefined || r.perDay === perDay) &&
        Number.isFinite(r.time),
    );
  for (const i of Object.values(idle)) {
    const where = `${count(i.size)} files, ${count(i.perDay)} a day`;
    if (i.error) {
      add(2, `idle night, ${where}`, NaN, 5, `failed: ${i.error}`);
      continue;
    }
    add(
      2,
      `idle night, ${where}: plan / node -e 0`,
      i.plan / i.node,
      5,
      `${fmt(i.plan)} s vs ${fmt(i.node)} s`,
    );
    add(2, `idle night, ${where}: S3 requests by plan`, i.requests, 0, 'counted by a proxy', 'eq');
  }
  const layouts = [
    ...new Map(
      rows.filter((r) => r.group === 'small').map((r) => [`${r.size}@${r.perDay}`, r]),
    ).values(),
  ];
  for (const { size, perDay } of layouts) {
    const mine = row('small', 'recsync-sync', size, perDay);
    const where = `${count(perDay)} new files (${count(size)} in archive)`;
    for (const [peer, name, limit] of [
      ['aws-day', 'aws s3 sync ROOT/DAY', 0.5],
      ['sdk-loop', 'bare SDK PutObject loop', 1.1],
    ]) {
      const other = row('small', peer, size, perDay);
      add(
        3,
        `client CPU per file, ${where}: recsync sync / ${name}`,
        mine && other ? mine.cpuTime / other.cpuTime : NaN,
        limit,
        mine && other
          ? `${fmt(mine.cpuPerFileMs, 3)} vs ${fmt(other.cpuPerFileMs, 3)} ms per file`
          : `${mine ? name : 'recsync sync'} not measured (not installed or failed)`,
      );
    }
  }
  // The same per file with start-up taken out: the CPU the extra files of the bigger layout cost.
  for (const size of new Set(layouts.map((l) => l.size))) {
    const days = layouts.filter((l) => l.size === size).sort((a, b) => a.perDay - b.perDay);
    if (days.length < 2) continue;
    const [few, many] = [days[0].perDay, days.at(-1).perDay];
    const marginal = (c) => {
      const [a, b] = [row('small', c, size, few), row('small', c, size, many)];
      return a && b ? ((b.cpuTime - a.cpuTime) * 1000) / (b.newFiles - a.newFiles) : NaN;
    };
    const mine = marginal('recsync-sync');
    for (const [peer, name, limit] of [
      ['aws-day', 'aws s3 sync ROOT/DAY', 0.5],
      ['sdk-loop', 'bare SDK PutObject loop', 1.1],
    ]) {
      const other = marginal(peer);
      add(
        '3b',
        `client CPU per file without start-up (${count(few)} → ${count(many)} new files, ` +
          `${count(size)} in archive): recsync sync / ${name}`,
        mine / other,
        limit,
        `${fmt(mine, 3)} vs ${fmt(other, 3)} ms per extra file; shows whether start-up or ` +
          'per-file work decides target 3',
      );
    }
  }
  const big = row('large', 'recsync-sync');
  if (big) {
    const peers = ['aws-day', 'rclone-day'].map((c) => row('large', c)).filter(Boolean);
    const fastest = peers.sort((a, b) => a.time - b.time)[0];
    add(
      4,
      'large files: recsync wall / the faster of aws s3 sync and rclone copy',
      fastest ? big.time / fastest.time : NaN,
      1.0,
      fastest
        ? `${fmt(big.time)} s vs ${fmt(fastest.time)} s (${fastest.label})`
        : 'no peer measured',
    );
    const aws = row('large', 'aws-day');
    add(
      4,
      'large files: recsync CPU per GiB / aws-cli',
      aws ? big.cpuPerGiB / aws.cpuPerGiB : NaN,
      0.5,
      aws ? `${fmt(big.cpuPerGiB)} vs ${fmt(aws.cpuPerGiB)} CPU s per GiB` : 'aws-cli not measured',
    );
  }
  if (mtime?.rows?.length) {
    for (const r of mtime.rows)
      add(
        5,
        `mtime: recsync plan end to end / find -newer, ${count(r.size)} files`,
        r.plan ? r.plan.ms / r.find.ms : NaN,
        1.0,
        r.plan
          ? `${fmt(r.plan.ms / 1000)} s vs ${fmt(r.find.ms / 1000)} s (write-once pruning off)`
          : 'not measured',
      );
  }
  for (const r of rows.filter(
    (r) => r.group === 'small' && (r.case === 'recsync-plan' || r.case === 'recsync-sync'),
  ))
    add(
      6,
      `peak RSS, ${r.case.replace('recsync-', 'recsync ')}, ${count(r.size)} ` +
        `files, ${count(r.perDay)} new`,
      r.peakRssMB,
      150,
      'MB',
    );
  for (const i of Object.values(idle).filter((i) => Number.isFinite(i.rssMB)))
    add(
      6,
      `peak RSS, idle plan, ${count(i.size)} files, ${count(i.perDay)} a day`,
      i.rssMB,
      150,
      'MB',
    );
  for (const r of mtime?.rows ?? [])
    if (r.plan) add(6, `peak RSS, mtime plan, ${count(r.size)} files`, r.plan.rssMB, 150, 'MB');
  return targets;
}

/** One line per target: value, limit, met or missed. */
export function targetLines(targets, meta) {
  const lines = ['Targets (measured ratio, target, met or missed):', ''];
  for (const t of targets) {
    const state = t.met === null ? '**not measured**' : t.met ? 'met' : '**missed**';
    const value =
      t.detail === 'MB'
        ? `${fmt(t.value, 0)} MB (target ≤${t.limit} MB)`
        : t.cmp === 'eq'
          ? `${Number.isFinite(t.value) ? t.value : '—'} (target ${t.limit})`
          : `${fmt(t.value)}x (target ≤${t.limit}x)`;
    lines.push(
      `- ${t.id}. ${t.what}: ${value} — ` +
        `${state}${t.detail && t.detail !== 'MB' ? `; ${t.detail}` : ''}`,
    );
  }
  const scale = meta.sizes.filter((s) => s >= 7_000_000);
  lines.push(
    scale.length
      ? `- 7. scale: ${scale.map(count).join(', ')} files measured in this run — met`
      : '- 7. scale: the 7M-file reference archive is not in this run (`npm run bench -- --sizes ' +
          '200000,7000000`); the README keeps its last run',
  );
  if (meta.peers.aws === 'not installed')
    lines.push('- aws-cli: not installed (apt-get install awscli); its ratios are not measured');
  if (meta.peers.rclone === 'not installed')
    lines.push('- rclone: not installed (apt-get install rclone); its ratios are not measured');
  return lines;
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

/**
 * Wall time of every command, one block per case (archive size and new files, or the large
 * files), bars scaled to the slowest command of the block; recsync's bars are red.
 */
export function svgBars(rows, title) {
  const blocks = new Map();
  for (const r of rows.filter((r) => Number.isFinite(r.time))) {
    const name =
      r.group === 'large'
        ? `${r.newFiles} × ${Math.round(r.bytes / r.newFiles / 2 ** 20)} MiB new`
        : `${count(r.size)} files, ${count(r.newFiles)} new`;
    blocks.set(name, [...(blocks.get(name) ?? []), r]);
  }
  const W = 860;
  const label = 360;
  const barH = 16;
  const parts = [];
  let y = 40;
  for (const [name, list] of blocks) {
    parts.push(`<text x="10" y="${y + 12}" font-weight="bold">${escapeXml(name)}</text>`);
    y += 22;
    const max = Math.max(...list.map((r) => r.time));
    for (const r of list) {
      const w = Math.max(1, ((W - label - 90) * r.time) / max);
      const color = r.case.startsWith('recsync') ? '#d62728' : '#1f77b4';
      parts.push(
        `<text x="${label - 8}" y="${y + 12}" text-anchor="end">${escapeXml(r.label)}</text>`,
        `<rect x="${label}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"/>`,
        `<text x="${(label + w + 6).toFixed(1)}" y="${y + 12}">${fmt(r.time)} s</text>`,
      );
      y += barH + 6;
    }
    y += 14;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${y}" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...parts,
    '</svg>',
  ].join('\n');
}
