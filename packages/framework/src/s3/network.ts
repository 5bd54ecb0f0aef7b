/**
 * The HTTP layer under a job's S3 client: connection pools, proxies, extra trusted CAs and the
 * upload bandwidth limit. The AWS SDK for JavaScript reads none of HTTPS_PROXY, NO_PROXY or
 * AWS_CA_BUNDLE by itself, so they are applied here.
 *
 * - Proxies: `HTTPS_PROXY` for https endpoints, `HTTP_PROXY` for http ones, `ALL_PROXY` for
 *   both, hosts in `NO_PROXY` go direct (lower-case names too; curl's rules, through
 *   proxy-from-env). Decided per connection, so a virtual-hosted bucket name and its endpoint
 *   are matched as the host actually dialled. https goes through a CONNECT tunnel.
 * - CA bundle: the PEM file's certificates are trusted *in addition to* Node's default ones
 *   (a bundle holding only the company CA is enough), for the endpoint and through a proxy.
 * - Bandwidth: request bodies (PUT and multipart parts) pass through one shared limiter.
 */
import http from 'node:http';
import https from 'node:https';
import type tls from 'node:tls';
import { Readable, pipeline } from 'node:stream';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { HttpProxyAgent } from 'http-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpRequest } from '@smithy/core/transport';
import type { HttpHandlerOptions } from '@smithy/types';
import type { Connection } from './connection.js';
import { loadCaBundle } from './ca-bundle.js';
import { throttleStream, type RateLimiter } from './rate-limit.js';

export interface NetworkOptions {
  readonly maxSockets: number;
  readonly limiter?: RateLimiter;
}

const PROXY_VARIABLES = ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY'];

/** True when a proxy variable is set (otherwise plain agents, no per-connection lookup). */
export function proxyConfigured(
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  return PROXY_VARIABLES.some((name) => env[name] || env[name.toLowerCase()]);
}

export async function createRequestHandler(
  connection: Connection,
  options: NetworkOptions,
): Promise<NodeHttpHandler> {
  const ca = await loadCaBundle(connection);
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, ...(ca ? { ca } : {}) };
  const direct = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  const routed = proxyConfigured()
    ? {
        http: new ProxyRouter(false, direct.http, agentOptions),
        https: new ProxyRouter(true, direct.https, agentOptions),
      }
    : direct;
  const handlerOptions = {
    httpAgent: routed.http,
    httpsAgent: routed.https,
    connectionTimeout: 10_000,
    requestTimeout: 300_000,
  };
  return options.limiter
    ? new ThrottledHandler(handlerOptions, options.limiter)
    : new NodeHttpHandler(handlerOptions);
}

interface RequestOptions {
  host?: string | null;
  port?: number | string | null;
  secureEndpoint?: boolean;
}
/**
 * `http.Agent#addRequest`: public in practice (every proxy agent uses it), absent from the typings.
 */
type AddRequest = (req: http.ClientRequest, options: RequestOptions) => void;

/**
 * Sends each request through the proxy the environment names for its URL, or direct. It hands
 * the request over synchronously, as Node calls `addRequest`, before any header is written: the
 * proxy agents rewrite the request line (absolute URL for http, CONNECT for https) there, also
 * when they reuse a kept-alive connection.
 */
class ProxyRouter extends http.Agent {
  private readonly proxies = new Map<string, http.Agent>();

  constructor(
    private readonly secure: boolean,
    private readonly direct: http.Agent,
    private readonly agentOptions: http.AgentOptions & tls.ConnectionOptions,
  ) {
    super({ keepAlive: false });
    // Node checks a request's protocol against its agent's.
    Object.assign(this, { protocol: secure ? 'https:' : 'http:', defaultPort: secure ? 443 : 80 });
  }

  addRequest(req: http.ClientRequest, options: RequestOptions): void {
    const scheme = this.secure ? 'https' : 'http';
    const host = options.host?.includes(':') ? `[${options.host}]` : options.host;
    const port = options.port ?? (this.secure ? 443 : 80);
    const proxy = getProxyForUrl(`${scheme}://${host}:${port}`);
    const agent = proxy ? this.proxyAgent(proxy) : this.direct;
    // The proxy agents build the tunnelled TLS connection from the request's options only.
    const tlsOptions =
      proxy && this.secure && this.agentOptions.ca ? { ca: this.agentOptions.ca } : {};
    (agent as unknown as { addRequest: AddRequest }).addRequest(req, {
      ...options,
      ...tlsOptions,
      secureEndpoint: this.secure,
    });
  }

  private proxyAgent(proxy: string): http.Agent {
    let agent = this.proxies.get(proxy);
    if (!agent) {
      agent = this.secure
        ? new HttpsProxyAgent(proxy, this.agentOptions)
        : new HttpProxyAgent(proxy, this.agentOptions);
      this.proxies.set(proxy, agent);
    }
    return agent;
  }

  override destroy(): void {
    for (const agent of this.proxies.values()) agent.destroy();
    this.direct.destroy();
    super.destroy();
  }
}

/** Request bodies through the limiter. The request is copied, never changed: retries resend it. */
class ThrottledHandler extends NodeHttpHandler {
  constructor(
    options: ConstructorParameters<typeof NodeHttpHandler>[0],
    private readonly limiter: RateLimiter,
  ) {
    super(options);
  }

  override handle(request: HttpRequest, options?: HttpHandlerOptions) {
    const body: unknown = request.body;
    if (body === undefined || body === null) return super.handle(request, options);
    const bytes = () =>
      typeof body === 'string' ? Buffer.from(body) : Buffer.from(body as Uint8Array);
    const source = body instanceof Readable ? body : Readable.from([bytes()]);
    const throttled = pipeline(source, throttleStream(this.limiter), () => undefined);
    const copy = HttpRequest.clone(request);
    copy.body = throttled;
    return super.handle(copy, options);
  }
}
