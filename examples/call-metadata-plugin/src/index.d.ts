import type { Plugin } from '@recsync/framework';

export interface CallMetadataOptions {
  /** URL to POST a JSON summary to when a sync ends with a non-zero exit code. */
  webhook?: string;
  /** How long one webhook request may take (default `10s`). */
  timeout?: string | number;
}

export interface CallName {
  /** `YYYY-MM-DD`. */
  date: string;
  callId: string;
  agent: string;
}

export declare function parseCallName(fileName: string): CallName | undefined;
export declare function callMetadata(options?: CallMetadataOptions): Plugin;
export default callMetadata;
