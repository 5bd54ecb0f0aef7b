/**
 * The scale-out examples (examples/kubernetes, examples/aws-batch) stay consistent and
 * applicable: parsed (YAML, JSON) and their fields checked against each other and against the
 * recsync config they run. No schema can be downloaded here, so the fields that matter are
 * checked by name.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { resolveConfig } from '@recsync/framework';

const examples = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');

async function yamlDocs(file: string): Promise<Record<string, any>[]> {
  const docs = parseAllDocuments(await readFile(path.join(examples, file), 'utf8'));
  for (const d of docs) expect(d.errors, `${file}: ${d.errors.join('; ')}`).toEqual([]);
  return docs.map((d) => d.toJS() as Record<string, any>);
}

async function checkConfig(text: string) {
  const raw = JSON.parse(text) as Record<string, any>;
  const config = await resolveConfig(raw, { cwd: examples, importModule: (s) => import(s) });
  expect(config.jobs).toHaveLength(1);
  const [job] = config.jobs;
  expect(job.shards).toBeGreaterThan(1);
  expect(job.stateStore.store).toBe('s3');
  return job;
}

/** The flags a container passes to recsync, and the config path. */
function commandOf(command: string[]) {
  const at = (flag: string) => command[command.indexOf(flag) + 1];
  expect(command).toContain('sync');
  expect(at('--shard')).toBe('auto');
  return { shards: Number(at('--shards')), config: at('--config') };
}

function checkPodSpec(
  spec: Record<string, any>,
  shards: number,
  job: { source: string; stateDir: string },
  configKey: string,
) {
  const source = job.source;
  expect(spec.restartPolicy).toBe('Never');
  expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60);
  expect(spec.serviceAccountName).toBeTruthy();
  const [container] = spec.containers as Record<string, any>[];
  expect(container.resources?.requests?.cpu).toBeTruthy();
  const run = commandOf(container.command as string[]);
  expect(run.shards).toBe(shards);
  const volumes = new Map((spec.volumes as Record<string, any>[]).map((v) => [v.name, v]));
  const mounts = container.volumeMounts as Record<string, any>[];
  for (const m of mounts) expect(volumes.has(m.name), `volume ${m.name}`).toBe(true);
  const archive = mounts.find((m) => m.mountPath === source);
  expect(archive?.readOnly, 'the archive is mounted read-only at the config source').toBe(true);
  expect(volumes.get(archive!.name)?.persistentVolumeClaim?.claimName).toBeTruthy();
  const configMount = mounts.find((m) => run.config === path.posix.join(m.mountPath, configKey));
  expect(configMount, 'the --config path is the ConfigMap key in its mount').toBeTruthy();
  expect(volumes.get(configMount!.name)?.configMap?.name).toBe('recsync-config');
  // Each sync streams its audit manifest into stateDir: it must be a writable mount.
  const scratch = mounts.find((m) => m.mountPath === job.stateDir);
  expect(scratch, `stateDir ${job.stateDir} is a mounted volume`).toBeTruthy();
  expect(scratch?.readOnly, 'stateDir is writable').toBeFalsy();
}

function checkJobSpec(spec: Record<string, any>, shards: number) {
  expect(spec.completionMode).toBe('Indexed');
  expect(spec.completions).toBe(shards);
  expect(spec.parallelism).toBe(shards);
  expect(spec.backoffLimitPerIndex).toBeGreaterThanOrEqual(1);
  expect(spec.podReplacementPolicy).toBe('Failed');
  const rule = (spec.podFailurePolicy.rules as Record<string, any>[]).find(
    (r) => r.action === 'FailIndex',
  );
  expect(rule?.onExitCodes?.values).toEqual([2]); // usage errors are not retried
}

describe('examples/kubernetes', () => {
  it('the ConfigMap holds a valid sharded config; the Indexed Job and CronJob run it', async () => {
    const [configMap] = await yamlDocs('kubernetes/configmap.yaml');
    expect(configMap).toMatchObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'recsync-config' },
    });
    const [configKey] = Object.keys(configMap.data as object);
    const job = await checkConfig(configMap.data[configKey] as string);
    const shards = job.shards!;

    const [indexed] = await yamlDocs('kubernetes/indexed-job.yaml');
    expect(indexed).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job' });
    checkJobSpec(indexed.spec, shards);
    checkPodSpec(indexed.spec.template.spec, shards, job, configKey);

    const [cron] = await yamlDocs('kubernetes/cronjob.yaml');
    expect(cron).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      spec: { concurrencyPolicy: 'Forbid' },
    });
    expect(String(cron.spec.schedule).split(' ')).toHaveLength(5);
    checkJobSpec(cron.spec.jobTemplate.spec, shards);
    expect(cron.spec.jobTemplate.spec.template).toEqual(indexed.spec.template);

    const [account] = await yamlDocs('kubernetes/service-account.yaml');
    expect(account).toMatchObject({
      kind: 'ServiceAccount',
      metadata: { name: indexed.spec.template.spec.serviceAccountName },
    });
    expect(account.metadata.annotations['eks.amazonaws.com/role-arn']).toMatch(
      /^arn:aws:iam::\d{12}:role\//,
    );
  });
});

describe('examples/aws-batch', () => {
  it('the array job runs the config with as many children as shards', async () => {
    const read = async (name: string) =>
      JSON.parse(await readFile(path.join(examples, 'aws-batch', name), 'utf8')) as Record<
        string,
        any
      >;
    const job = await checkConfig(
      await readFile(path.join(examples, 'aws-batch', 'recsync.config.json'), 'utf8'),
    );
    const definition = await read('job-definition.json');
    const submit = await read('submit-job.json');
    expect(definition.type).toBe('container');
    expect(submit.jobDefinition).toBe(definition.jobDefinitionName);
    expect(submit.arrayProperties.size).toBe(job.shards);
    const props = definition.containerProperties as Record<string, any>;
    const run = commandOf(props.command as string[]);
    expect(run.shards).toBe(job.shards);
    expect(props.jobRoleArn).toMatch(/^arn:aws:iam::\d{12}:role\//);
    expect((props.resourceRequirements as { type: string }[]).map((r) => r.type).sort()).toEqual([
      'MEMORY',
      'VCPU',
    ]);
    const volumes = new Set((props.volumes as { name: string }[]).map((v) => v.name));
    const mounts = props.mountPoints as Record<string, any>[];
    for (const m of mounts) expect(volumes.has(m.sourceVolume)).toBe(true);
    expect(mounts.find((m) => m.containerPath === job.source)?.readOnly).toBe(true);
    expect(mounts.some((m) => path.posix.dirname(run.config) === m.containerPath)).toBe(true);
    const onExit = definition.retryStrategy.evaluateOnExit as {
      onExitCode: string;
      action: string;
    }[];
    expect(onExit.find((e) => e.onExitCode === '2')?.action).toBe('EXIT');
    expect(definition.retryStrategy.attempts).toBeGreaterThan(1);
  });
});
