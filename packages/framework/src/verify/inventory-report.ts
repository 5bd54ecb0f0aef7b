/**
 * Reading an S3 Inventory report: its `manifest.json`, then each data file it names, as a
 * stream of rows. CSV (gzip; the default format) through `csv-parse`, streamed; Parquet through
 * `hyparquet` (pure JavaScript), read row group by row group with ranged GETs, so neither
 * format is ever held whole. ORC is refused with a clear error: no maintained ORC reader exists
 * for Node (configure the inventory as CSV or Parquet).
 *
 * Optional fields used when the inventory has them: Size, StorageClass, ETag,
 * ObjectLockRetainUntilDate, ObjectLockMode, EncryptionStatus, ChecksumAlgorithm, IsLatest,
 * IsDeleteMarker (versioned inventories list every version: only current, non-deleted ones
 * count). CSV keys are URL-encoded, Parquet keys are not.
 */
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { RecsyncError } from '../errors.js';
import type { ObjectReader } from '../s3/reader.js';

export interface InventoryRow {
  readonly bucket: string;
  readonly key: string;
  readonly size?: number;
  readonly storageClass?: string;
  readonly retainUntil?: Date;
  readonly lastModified?: Date;
  readonly lockMode?: string;
  readonly encryption?: string;
  readonly checksumAlgorithm?: string;
}

interface InventoryManifest {
  readonly sourceBucket?: string;
  readonly fileFormat?: string;
  readonly fileSchema?: string;
  readonly files?: { key: string; size?: number }[];
}

/** `s3://bucket/path/manifest.json` → bucket and key. */
export function parseS3Url(url: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url.trim());
  if (!match) {
    throw new RecsyncError('E_USAGE', {
      message: `--inventory ${JSON.stringify(url)} is not an s3:// URL of an inventory manifest`,
      hint:
        'for example ' +
        's3://inventory-bucket/call-recording-backup/daily/2026-11-25T01-00Z/manifest.json',
    });
  }
  return { bucket: match[1], key: match[2] };
}

export async function readInventoryManifest(
  reader: ObjectReader,
  key: string,
): Promise<Required<Pick<InventoryManifest, 'files'>> & InventoryManifest> {
  const got = await reader.getObject(key);
  if (!got)
    throw new RecsyncError('E_USAGE', {
      message: `no inventory manifest at ${key}`,
      hint:
        'give the manifest.json of one inventory report (a dated folder under ' +
        'the inventory destination)',
    });
  const chunks: Buffer[] = [];
  for await (const c of got.body as AsyncIterable<Buffer>) chunks.push(c);
  let manifest: InventoryManifest;
  try {
    manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as InventoryManifest;
  } catch (error) {
    throw new RecsyncError('E_USAGE', {
      message: `the inventory manifest ${key} is not JSON (${(error as Error).message})`,
      hint: 'give the manifest.json of an inventory report',
    });
  }
  const format = (manifest.fileFormat ?? '').toUpperCase();
  if (format === 'ORC') {
    throw new RecsyncError('E_USAGE', {
      message: 'ORC inventory reports cannot be read: there is no maintained ORC reader for Node',
      hint: "set the inventory configuration's format to CSV or Parquet (both are read)",
    });
  }
  if (format !== 'CSV' && format !== 'PARQUET')
    throw new RecsyncError('E_USAGE', {
      message: `unknown inventory format ${JSON.stringify(manifest.fileFormat)} in ${key}`,
      hint: 'CSV and Parquet are read',
    });
  if (!Array.isArray(manifest.files))
    throw new RecsyncError('E_USAGE', {
      message: `the inventory manifest ${key} lists no files`,
      hint: 'give the manifest.json of an inventory report',
    });
  return { ...manifest, files: manifest.files };
}

/** Field names as CSV schemas (`StorageClass`) and Parquet columns (`storage_class`) spell them. */
const normal = (name: string) => name.replace(/[_\s]/g, '').toLowerCase();

function rowOf(fields: Record<string, unknown>, encodedKeys: boolean): InventoryRow | undefined {
  const get = (name: string) => fields[name];
  if (
    String(get('islatest') ?? 'true').toLowerCase() === 'false' ||
    String(get('isdeletemarker') ?? 'false').toLowerCase() === 'true'
  )
    return undefined;
  const rawKey = String(get('key') ?? '');
  const key = encodedKeys ? decodeURIComponent(rawKey.replace(/\+/g, ' ')) : rawKey;
  const text = (name: string) => {
    const v = get(name);
    return v === undefined || v === null || v === ''
      ? undefined
      : v instanceof Date
        ? v.toISOString()
        : String(v);
  };
  const size = text('size');
  const until = text('objectlockretainuntildate');
  const modified = text('lastmodifieddate');
  const date = (v: string) => new Date(/^\d+$/.test(v) ? Number(v) : v);
  return {
    bucket: String(get('bucket') ?? ''),
    key,
    ...(size !== undefined ? { size: Number(size) } : {}),
    ...(text('storageclass') ? { storageClass: text('storageclass') } : {}),
    ...(until ? { retainUntil: date(until) } : {}),
    ...(modified ? { lastModified: date(modified) } : {}),
    ...(text('objectlockmode') ? { lockMode: text('objectlockmode') } : {}),
    ...(text('encryptionstatus') ? { encryption: text('encryptionstatus') } : {}),
    ...(text('checksumalgorithm') ? { checksumAlgorithm: text('checksumalgorithm') } : {}),
  };
}

/** Every current object row of the report, file by file. */
export async function* inventoryRows(
  reader: ObjectReader,
  manifest: InventoryManifest & { files: { key: string; size?: number }[] },
): AsyncGenerator<InventoryRow> {
  const parquet = (manifest.fileFormat ?? '').toUpperCase() === 'PARQUET';
  for (const file of manifest.files) {
    if (parquet) yield* parquetRows(reader, file.key);
    else
      yield* csvRows(
        reader,
        file.key,
        (manifest.fileSchema ?? '').split(',').map((s) => normal(s.trim())),
      );
  }
}

async function* csvRows(
  reader: ObjectReader,
  key: string,
  columns: string[],
): AsyncGenerator<InventoryRow> {
  const got = await reader.getObject(key);
  if (!got)
    throw new RecsyncError('E_USAGE', {
      message: `the inventory data file ${key} is missing`,
      hint: 'the report may have expired; use a newer one',
    });
  const parser = got.body.pipe(createGunzip()).pipe(parse({ columns, relax_column_count: true }));
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    const row = rowOf(record, true);
    if (row) yield row;
  }
}

async function* parquetRows(reader: ObjectReader, key: string): AsyncGenerator<InventoryRow> {
  const { parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
  const head = await reader.headObject(key);
  if (!head)
    throw new RecsyncError('E_USAGE', {
      message: `the inventory data file ${key} is missing`,
      hint: 'the report may have expired; use a newer one',
    });
  const file = {
    byteLength: head.size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const last = (end ?? head.size) - 1;
      const got = await reader.getObject(key, { range: [start, last] });
      const chunks: Buffer[] = [];
      for await (const c of got!.body as AsyncIterable<Buffer>) chunks.push(c);
      const all = Buffer.concat(chunks);
      return all.buffer.slice(all.byteOffset, all.byteOffset + all.length) as ArrayBuffer;
    },
  };
  const metadata = await parquetMetadataAsync(file);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const objects = await parquetReadObjects({ file, metadata, rowStart, rowEnd });
    for (const record of objects) {
      const fields = Object.fromEntries(
        Object.entries(record).map(([k, v]) => [normal(k), typeof v === 'bigint' ? Number(v) : v]),
      );
      const row = rowOf(fields, false);
      if (row) yield row;
    }
    rowStart = rowEnd;
  }
}
