/**
 * Object Lock: files whose retain-until date had already passed when they were uploaded (a
 * backfill of old files with `from: 'partition'` or `'mtime'`) are written without retention;
 * this plugin counts them and says so once, at the end of the run.
 */
import { definePlugin, type Plugin } from '../plugin.js';

const NAME = 'recsync:retention-report';

export function retentionReportPlugin(): Plugin {
  return definePlugin({
    name: NAME,
    apply(hooks, context) {
      let past = 0;
      hooks.uploaded.tap(NAME, (e) => void (e.stored?.retentionPast && past++));
      hooks.done.tap(NAME, () => {
        if (past === 0) return;
        hooks.warning.call({
          job: context.job,
          code: 'W_RETENTION_PAST',
          message:
            `${past} file(s) uploaded without Object Lock retention: their retain-until date ` +
            'had already passed',
        });
      });
    },
  });
}
