#!/bin/sh
# Post-recording hook: appends the finished recording(s) given as arguments to the journal of the
# `recordings` job in /etc/recsync/recsync.config.ts. Install as /usr/local/bin/recsync-journal-hook.
#
# FreeSWITCH (dialplan; bg_system does not hold the call thread):
#   <action application="set" data="rec_file=${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav"/>
#   <action application="set" data="record_post_process_exec_api=bg_system:/usr/local/bin/recsync-journal-hook ${rec_file}"/>
#   <action application="record_session" data="${rec_file}"/>
#
# Asterisk (extensions.conf; MixMonitor runs the command once the recording is closed):
#   same => n,Set(REC_FILE=/var/spool/asterisk/monitor/${STRFTIME(${EPOCH},,%Y-%m-%d)}/${UNIQUEID}.wav)
#   same => n,MixMonitor(${REC_FILE},b,/usr/local/bin/recsync-journal-hook ${REC_FILE})
#
# A failure is logged to syslog and never disturbs the recorder. Each entry is one O_APPEND
# write, so hooks of concurrent calls never mix their lines.
set -u
CONFIG=${RECSYNC_CONFIG:-/etc/recsync/recsync.config.ts}
JOB=${RECSYNC_JOB:-recordings}

if ! output=$(recsync journal add --config "$CONFIG" --job "$JOB" -- "$@" 2>&1); then
  logger -t recsync-journal-hook -p user.err "journal add failed for $*: $output"
  exit 1
fi
