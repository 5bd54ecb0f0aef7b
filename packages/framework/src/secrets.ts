/**
 * Credentials never leave recsync: a URL's `user:password@` part is replaced before the URL is
 * shown (run header, `--json`, errors, warnings) and dropped before it is stored (the state's
 * fingerprint). One rule, used everywhere a URL can surface.
 */

/** `scheme://user:password@host…` → the user-info part of any URL in `text`. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;

/** Replaces the user-info of every URL in `text` with `***`. */
export function redactText(text: string): string {
  return text.replace(USERINFO, '$1***@');
}

/** A URL for display: credentials replaced with `***`. */
export function redactUrl(url: string): string;
export function redactUrl(url: string | undefined): string | undefined;
export function redactUrl(url: string | undefined): string | undefined {
  return url === undefined ? undefined : redactText(url);
}

/** A URL for storing or comparing: credentials removed (a new password is the same endpoint). */
export function withoutCredentials(url: string): string;
export function withoutCredentials(url: string | null): string | null;
export function withoutCredentials(url: string | null): string | null {
  return url === null ? null : url.replace(USERINFO, '$1');
}
