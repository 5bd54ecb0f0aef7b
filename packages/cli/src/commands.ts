/**
 * Every command, by oclif id (`oclif.commands` in package.json: the explicit strategy), and the
 * not-found hook: the one module the bundle loads when a command runs.
 */
import Init from './commands/init.js';
import JournalAdd from './commands/journal/add.js';
import Plan from './commands/plan.js';
import Restore from './commands/restore.js';
import StateAdopt from './commands/state/adopt.js';
import StateReset from './commands/state/reset.js';
import Status from './commands/status.js';
import Sync from './commands/sync.js';
import Unlock from './commands/unlock.js';
import Verify from './commands/verify.js';

export const COMMANDS = {
  init: Init,
  'journal:add': JournalAdd,
  plan: Plan,
  restore: Restore,
  'state:adopt': StateAdopt,
  'state:reset': StateReset,
  status: Status,
  sync: Sync,
  unlock: Unlock,
  verify: Verify,
};

export { default as notFound } from './hooks/not-found.js';
// for tests of the bundle: the config loader the commands use
export { loadConfig } from './config-loader.js';
