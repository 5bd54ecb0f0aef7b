/** A CDR database written with sql.js, as a phone system would fill it. */
import { writeFile } from 'node:fs/promises';
import initSqlJs from 'sql.js';

export interface CdrRow {
  readonly path: string | null;
  readonly agent?: string;
}

/** Writes `file` with a `cdr` table holding `rows` (ids 1, 2, … in order). */
export async function writeCdrDatabase(file: string, rows: readonly CdrRow[]): Promise<void> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.run(
    'CREATE TABLE cdr (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT, agent TEXT, ' +
      'recording_path TEXT)',
  );
  for (const row of rows) {
    db.run('INSERT INTO cdr (started_at, agent, recording_path) VALUES (?, ?, ?)', [
      '2026-11-25T10:00:00Z',
      row.agent ?? 'agent001',
      row.path,
    ]);
  }
  await writeFile(file, db.export());
  db.close();
}
