/**
 * One real S3-compatible server (s3rver, child process on 127.0.0.1) for the whole test run.
 * Tests get its endpoint with `inject('s3Endpoint')` and create their own buckets.
 */
import type { TestProject } from 'vitest/node';
import {
  startS3Server,
  type S3TestServer,
} from '../../packages/framework/src/testing/s3-server.js';

let server: S3TestServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  server = await startS3Server();
  project.provide('s3Endpoint', server.endpoint);
  project.provide('s3Directory', server.directory);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3Endpoint: string;
    /** The server's store folder, for seeding with `seedStore`. */
    s3Directory: string;
  }
}
