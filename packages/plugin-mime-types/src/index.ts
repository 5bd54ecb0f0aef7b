/**
 * `mimeTypes()`: sets each object's Content-Type from its file extension, through the `mime`
 * package's database (standard types, plus common non-standard ones such as audio/x-wav).
 * Opt-in: without it objects get the store's default (S3: binary/octet-stream), which is
 * enough to back up and restore.
 *
 *   plugins: [mimeTypes()]                        (recsync.config.ts)
 *   "plugins": [{ "use": "@recsync/plugin-mime-types" }]   (data-only configs)
 *
 * Options: `types` adds or overrides extensions (`{ '.opus': 'audio/ogg' }`); `fallback` is
 * the type for unknown extensions (default: none, the store decides). A Content-Type already
 * set by an earlier plugin is kept.
 */
import mime from 'mime';
import { definePlugin, z, type Plugin } from '@recsync/framework';

const optionsSchema = z.strictObject({
  types: z
    .record(
      z.string().regex(/^\.?[^./\\]+$/, 'expected an extension such as ".opus"'),
      z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'expected a type such as "audio/ogg"'),
    )
    .optional(),
  fallback: z
    .string()
    .regex(/^[\w.+-]+\/[\w.+-]+$/)
    .optional(),
});

export type MimeTypesOptions = z.input<typeof optionsSchema>;

export function mimeTypes(options: MimeTypesOptions = {}): Plugin {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new Error(`mimeTypes(): ${z.prettifyError(parsed.error)}`);
  const own = new Map(
    Object.entries(parsed.data.types ?? {}).map(([ext, type]) => [
      ext.replace(/^\./, '').toLowerCase(),
      type,
    ]),
  );
  const typeOf = (file: string): string | undefined => {
    const ext = /\.([^./]+)$/.exec(file)?.[1]?.toLowerCase();
    return (ext && (own.get(ext) ?? mime.getType(ext))) || parsed.data.fallback;
  };
  return definePlugin({
    name: 'recsync:mime-types',
    apply(hooks) {
      hooks.beforeUpload.tap('recsync:mime-types', (input, file) => {
        if (input.ContentType) return input;
        const type = typeOf(file.path);
        return type ? { ...input, ContentType: type } : input;
      });
    },
  });
}

export default mimeTypes;
