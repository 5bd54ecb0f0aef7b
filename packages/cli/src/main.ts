/**
 * What `bin/run.js` loads first: oclif alone. `--version` and `--help` need nothing else; a
 * command loads its module (`commands.js`) when it runs.
 */
export { execute } from '@oclif/core';
