/**
 * Built-in plugin: a file whose name is not valid UTF-8 is uploaded under a key-safe form of its
 * name (see ../fs/names.ts); this stores the raw bytes of its relative path in the object's
 * metadata (`x-amz-meta-recsync-raw-path`, base64), so a restore can write the original name.
 */
import { definePlugin, type Plugin } from '../plugin.js';
import { RAW_PATH_METADATA } from '../fs/names.js';

export function rawNamesPlugin(): Plugin {
  return definePlugin({
    name: 'recsync:raw-names',
    apply(hooks) {
      hooks.beforeUpload.tap('recsync:raw-names', (input, file) =>
        file.rawPath
          ? { ...input, Metadata: { ...input.Metadata, [RAW_PATH_METADATA]: file.rawPath } }
          : input,
      );
    },
  });
}
