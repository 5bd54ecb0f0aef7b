// An example strategy backed by a database: a phone system writes one row per call into a
// call-detail-records (CDR) table, with the path of the call's recording. The strategy backs up
// the recordings of the rows added since the last run: the cursor is the last row id done.
//
// Use it from recsync.config.ts:   strategy: cdrRows({ database: 'cdr.sqlite' })
// or from JSON/YAML: "strategy": { "use": "recsync-strategy-cdr", "with": { "database":
// "cdr.sqlite" } }
//
// SQLite is read with sql.js (SQLite compiled to WebAssembly: no native build, any Node >= 20).
// sql.js reads the whole database file into memory, which suits CDR databases up to a few
// hundred MB; the rows themselves are read one batch at a time.
import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import initSqlJs from 'sql.js';
import {
  defineStrategy,
  durationSchema,
  RecsyncError,
  relativeInside,
  useStrategy,
  z,
} from '@recsync/framework';

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a plain SQL identifier (letters, digits, _)');

const options = z.strictObject({
  /** The SQLite file, relative to the job's source (or absolute). */
  database: z.string().min(1),
  table: identifier.default('cdr'),
  /** An INTEGER PRIMARY KEY (or any column that only grows): the cursor's unit. */
  idColumn: identifier.default('id'),
  /** Path of the recording, relative to the source or absolute inside it. */
  pathColumn: identifier.default('recording_path'),
  /** Rows per partition: the cursor is saved after each batch whose files all have an outcome. */
  batch: z.number().int().min(1).max(100_000).default(1000),
  /** How long a row's recording may be missing before it is reported and dropped. */
  missingTimeout: durationSchema.prefault('7d'),
});
const cursor = z.strictObject({ lastId: z.number().int().min(0) });

/** Partition ids carry the batch's id range: `advance()` recovers the position from them. */
const partitionId = (first, last) => `ids-${first}-${last}`;
const lastIdOf = (id) => Number(/^ids-\d+-(\d+)$/.exec(id)?.[1] ?? Number.NaN);

let sqlJs;
const sqlite = () => (sqlJs ??= initSqlJs());

export const cdrStrategy = defineStrategy({
  name: 'recsync-strategy-cdr',
  options,
  cursor,
  features: {
    // The cursor means "rows up to this id" only for the same table of the same database.
    identity: (o) => ({ database: o.database, table: o.table, idColumn: o.idColumn }),
    // Recordings live anywhere under the source: there is no one key prefix to list.
    defaultRemoteCheck: 'head',
  },
  create(opts, context) {
    const database = path.resolve(context.source, opts.database);
    const facts = { database, table: opts.table, rows: 0 };
    return {
      async *partitions({ cursor: saved, signal }) {
        const db = await openDatabase(database);
        try {
          const lastId = saved?.lastId ?? 0;
          const maxId = queryMaxId(db, opts);
          if (lastId > maxId) {
            throw new RecsyncError('E_CURSOR_FUTURE', {
              message:
                `the saved cursor (row id ${lastId}) is beyond the highest id in ` +
                `${opts.table} (${maxId}): the table was recreated or restored from an older ` +
                'copy, and a run would select nothing',
              hint:
                'if the table was rebuilt, start over (recordings already in the bucket are ' +
                'not uploaded again): recsync state reset --job NAME',
            });
          }
          // Rows are read up to the highest id seen at the start: rows added during the run are the
          // next run's.
          for (let after = lastId; after < maxId && !signal.aborted; ) {
            const rows = queryBatch(db, opts, after, maxId);
            if (rows.length === 0) break;
            after = rows.at(-1).id;
            facts.rows += rows.length;
            yield batchPartition(rows, context.source);
          }
        } finally {
          db.close();
        }
      },
      advance(current, partition) {
        const last = lastIdOf(partition.id);
        if (!Number.isSafeInteger(last)) return current;
        return !current || last > current.lastId ? { lastId: last } : current;
      },
      features: {
        describe: () => ({ ...facts }),
        missingTimeoutMs: opts.missingTimeout,
      },
    };
  },
});

async function openDatabase(file) {
  let bytes;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new RecsyncError('E_SOURCE_MISSING', {
      message: `cannot read the CDR database ${file}: ${error.message}`,
      hint:
        'check the strategy option "database" (relative to the job\'s source) and that the ' +
        'file is readable',
    });
  }
  const SQL = await sqlite();
  return new SQL.Database(bytes);
}

function queryMaxId(db, opts) {
  try {
    const [result] = db.exec(`SELECT max("${opts.idColumn}") FROM "${opts.table}"`);
    return Number(result?.values[0]?.[0] ?? 0);
  } catch (error) {
    throw new RecsyncError('E_USAGE', {
      message: `cannot query the CDR table: ${error.message}`,
      hint: 'check the strategy options "table", "idColumn" and "pathColumn"',
    });
  }
}

function queryBatch(db, opts, after, maxId) {
  const statement = db.prepare(
    `SELECT "${opts.idColumn}" AS id, "${opts.pathColumn}" AS path FROM "${opts.table}" ` +
      `WHERE "${opts.idColumn}" > ? AND "${opts.idColumn}" <= ? ORDER BY ` +
      `"${opts.idColumn}" LIMIT ?`,
  );
  try {
    statement.bind([after, maxId, opts.batch]);
    const rows = [];
    while (statement.step()) {
      const row = statement.getAsObject();
      rows.push({ id: Number(row.id), path: row.path });
    }
    return rows;
  } finally {
    statement.free();
  }
}

function batchPartition(rows, source) {
  return {
    id: partitionId(rows[0].id, rows.at(-1).id),
    dir: source,
    // Rows are written once a call ended: a batch never gains rows later.
    closed: true,
    async *files() {
      for (const row of rows) yield await candidate(row, source);
    },
  };
}

/** One row's recording: a file, a file not there yet (`missing`), or a refused entry. */
async function candidate(row, source) {
  const origin = `row ${row.id}`;
  const refused = (reason, code = 'E_FILE_BAD_PATH') => ({
    kind: 'refused',
    path: String(row.path ?? ''),
    origin,
    reason,
    code,
  });
  if (typeof row.path !== 'string' || row.path === '')
    return refused('the row has no recording path');
  const absolute = path.resolve(source, row.path);
  // The framework's containment rule: '' is the source itself, undefined is outside it.
  const rel = relativeInside(source, absolute);
  if (!rel) return refused('the recording path is outside the source', 'E_FILE_OUTSIDE_ROOT');
  const stats = await lstat(absolute).catch(() => undefined);
  if (!stats) return { kind: 'missing', path: rel, origin };
  if (!stats.isFile()) return refused('the recording path is not a regular file');
  return { kind: 'file', path: rel, size: stats.size, mtimeMs: stats.mtimeMs, origin };
}

/** The factory users call in recsync.config.ts. */
export function cdrRows(opts) {
  return useStrategy(cdrStrategy, opts);
}

export default cdrStrategy;
