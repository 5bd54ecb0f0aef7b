/**
 * @recsync/framework/testing: helpers for recsync's own tests and for third-party strategies
 * and plugins: fixture trees, temporary folders, a real local S3 server, a test client, a job
 * run through the real engine, a strategy driven as the engine drives it, and the strategy
 * conformance suite.
 */
export {
  createTree,
  fixtureBytes,
  type FixtureTree,
  type TreeSpec,
  type FileSpec,
} from './tree.js';
export {
  startS3Server,
  seedStore,
  type S3TestServer,
  type S3TestServerOptions,
  type SeedObject,
} from './s3-server.js';
export { createTestClient, S3RVER_CREDENTIALS, type TestBucketClient } from './client.js';
export {
  strategyConformance,
  type ConformanceSubject,
  type ConformanceFixture,
  type ConformanceCheck,
} from './conformance.js';
export { tempDirs, type TempDirs } from './temp.js';
export {
  runStrategy,
  advanceCursor,
  type StrategyRun,
  type StrategyRunRequest,
  type DrivenPartition,
  type YieldedFile,
} from './drive.js';
export {
  createTestJob,
  recordEvents,
  type RecordedEvents,
  type TestJob,
  type SavedStateJson,
  type TestJobOptions,
  type TestJobOverrides,
  type TestSyncResult,
} from './job.js';
