/**
 * The live progress display on a terminal: one line, redrawn by cli-progress (throttled,
 * cursor hidden, cleared at the end), with the run's other lines printed above it. It reads the
 * framework's progress snapshot; it never steers the run.
 *
 * cli-progress was chosen over listr2 and ora: it draws counters and bars (listr2 draws task
 * lists, ora a spinner), has one small dependency, supports Node 4+, and its `log()` keeps
 * other output above the line. Loaded only when the display is on.
 */
import cliProgress from 'cli-progress';
import type { ProgressSnapshot } from '@recsync/framework/internal';
import { progressLine, rateOf, type RateSample } from './progress-line.js';

export interface ProgressDisplay {
  /** Prints text (whole lines) above the live line. */
  log(text: string): void;
  /** Removes the line; call once at the end. */
  stop(): void;
}

/** Rate window: long enough to smooth a burst of small files, short enough to follow changes. */
const WINDOW_MS = 10_000;

export function startProgress(
  stream: NodeJS.WriteStream,
  snapshot: () => ProgressSnapshot,
  clock: () => number = Date.now,
): ProgressDisplay {
  const samples: RateSample[] = [];
  const multibar = new cliProgress.MultiBar({
    stream,
    format: () => {
      const s = snapshot();
      const now = clock();
      samples.push({ at: now, bytes: s.processed.bytes });
      while (samples.length > 2 && now - samples[0].at > WINDOW_MS) samples.shift();
      return progressLine(s, rateOf(samples), stream.columns || 80);
    },
    hideCursor: true,
    clearOnComplete: true,
    gracefulExit: false, // recsync handles SIGINT/SIGTERM itself (graceful stop, state saved)
    linewrap: false,
    fps: 5,
  });
  multibar.create(1, 0);
  let stopped = false;
  return {
    log(text: string) {
      if (stopped) stream.write(text);
      else multibar.log(text.endsWith('\n') ? text : `${text}\n`);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      multibar.update(); // prints lines still waiting in its log buffer
      multibar.stop();
    },
  };
}
