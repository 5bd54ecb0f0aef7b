/**
 * The cursor in words, for `status`, `plan`, run summaries and metrics. A strategy may say it
 * itself (`describeCursor`, an optional capability); otherwise the JSON is shown as
 * `key value` pairs, which reads well for the usual small cursor objects.
 */
import type { AnyStrategyDefinition, CursorDescription } from './strategy.js';

export interface CursorOwner {
  readonly definition: AnyStrategyDefinition;
  readonly options: unknown;
}

export const NO_CURSOR_TEXT = 'none yet (the next sync is a first run)';

export function describeCursor(
  strategy: CursorOwner | undefined,
  cursor: unknown,
): CursorDescription {
  if (cursor === undefined || cursor === null) return { text: NO_CURSOR_TEXT };
  const describe = strategy?.definition.features?.describeCursor;
  if (strategy && describe) {
    const parsed = strategy.definition.cursor.safeParse(cursor);
    if (parsed.success) {
      try {
        return describe(parsed.data, strategy.options);
      } catch {
        // A strategy's wording must never break status or a summary: fall back to the JSON.
      }
    }
  }
  return { text: genericCursorText(cursor) };
}

function genericCursorText(cursor: unknown): string {
  if (typeof cursor !== 'object' || cursor === null) return String(cursor);
  if (Array.isArray(cursor)) return `${cursor.length} entr${cursor.length === 1 ? 'y' : 'ies'}`;
  const parts = Object.entries(cursor as Record<string, unknown>).map(([key, value]) => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      return `${key} ${value}`;
    if (Array.isArray(value))
      return `${key}: ${value.length} entr${value.length === 1 ? 'y' : 'ies'}`;
    return `${key} ${JSON.stringify(value)}`;
  });
  return parts.length > 0 ? parts.join(', ') : 'empty';
}
