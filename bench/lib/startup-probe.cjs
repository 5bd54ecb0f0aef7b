// Preloaded (`node --require`) into each process the start-up benchmark measures: writes, to the
// file named by RECSYNC_PROBE_OUT, the CPU time (user+sys, since the process started) spent
// before its first HTTP request and at exit, and how many requests it made. CommonJS, so that
// loading it costs the same few microseconds in `node -e 0` as in recsync.
'use strict';
const { subscribe } = require('node:diagnostics_channel');
const { writeFileSync } = require('node:fs');

const out = process.env.RECSYNC_PROBE_OUT;
const seconds = ({ user, system }) => (user + system) / 1e6;
let requests = 0;
let cpuBeforeFirstRequest;
subscribe('http.client.request.start', () => {
  if (requests++ === 0) cpuBeforeFirstRequest = seconds(process.cpuUsage());
});
process.on('exit', () => {
  if (out)
    writeFileSync(
      out,
      JSON.stringify({ cpu: seconds(process.cpuUsage()), cpuBeforeFirstRequest, requests }),
    );
});
