/**
 * A misspelt command. On a terminal: @oclif/plugin-not-found's behaviour (it asks whether to
 * run the closest command). Off one (cron, CI, a pipe), where nobody can answer, the plugin
 * would only say the command does not exist: this names the closest one and exits 127.
 * The plugin is called from here rather than registered, so the two never race.
 */
import type { Hook } from '@oclif/core';
import { closestName, EXIT_CODES } from '@recsync/framework/internal';

const hook: Hook.CommandNotFound = async function (options) {
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const { default: notFound } = await import('@oclif/plugin-not-found');
    return notFound.call(this, options);
  }
  const ids = options.config.commands.filter((c) => !c.hidden).map((c) => c.id.replace(/:/g, ' '));
  const typed = options.id.replace(/:/g, ' ');
  const guess = closestName(typed, ids);
  process.stderr.write(
    `recsync: "${typed}" is not a recsync ` +
      `command${guess ? `; did you mean "${options.config.bin} ${guess}"?` : ''}\n` +
      `  → ${options.config.bin} help lists the commands\n`,
  );
  this.exit(EXIT_CODES.commandNotFound);
};

export default hook;
