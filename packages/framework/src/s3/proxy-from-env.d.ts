// proxy-from-env 2.x ships no typings (its @types package describes 1.x).
declare module 'proxy-from-env' {
  /** The proxy URL the environment (HTTP(S)_PROXY, ALL_PROXY, NO_PROXY) names for `url`, or ''. */
  export function getProxyForUrl(url: string | URL): string;
}
