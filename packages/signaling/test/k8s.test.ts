import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadAutoscalerConfig } from '../src/autoscale/config.ts';
import { loadSignalingConfig } from '../src/config.ts';

// infra/k8s, validated offline (no cluster here): each kustomization rendered, then every resource
// checked strictly (unknown fields, wrong types) by kubeconform against the Kubernetes 1.37 schemas
// and KEDA's ScaledObject schema, and the properties the platform relies on asserted.
// The tools come from scripts/ensure-k8s-tools.sh (VISITA_K8S_TOOLS, set by scripts/test.sh).
const ROOT = resolve(import.meta.dirname, '../../..');
const TOOLS = process.env['VISITA_K8S_TOOLS'];
const dir = mkdtempSync(join(tmpdir(), 'visita-k8s-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noExplicitAny: rendered YAML, its shape is what the assertions check.
type Yaml = any;

interface Resource {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
}

function render(kustomization: string): string {
  const viaKubectl = spawnSync('kubectl', ['kustomize', join(ROOT, kustomization)], { encoding: 'utf8' });
  if (viaKubectl.status === 0) return viaKubectl.stdout;
  return execFileSync(join(TOOLS!, 'bin/kustomize'), ['build', join(ROOT, kustomization)], { encoding: 'utf8' });
}

/** kubeconform's verdict on a rendering: resources by status. */
function validate(yamlText: string): { valid: number; invalid: string[]; skipped: number } {
  const file = join(dir, `r-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yamlText);
  const r = spawnSync(
    join(TOOLS!, 'bin/kubeconform'),
    [
      '-strict',
      '-verbose',
      '-output',
      'json',
      '-schema-location',
      join(TOOLS!, 'schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json'),
      file,
    ],
    { encoding: 'utf8' },
  );
  const out = JSON.parse(r.stdout) as { resources: Array<{ kind: string; name: string; status: string; msg: string }> };
  const by = (s: string) => out.resources.filter((x) => x.status === s);
  return {
    valid: by('statusValid').length,
    invalid: [...by('statusInvalid'), ...by('statusError')].map((x) => `${x.kind} ${x.name}: ${x.msg}`),
    skipped: by('statusSkipped').length,
  };
}

const resources = (yamlText: string): Resource[] => parseAllDocuments(yamlText).map((d) => d.toJS() as Resource);
const find = (all: Resource[], kind: string, name: string) => {
  const r = all.find((x) => x.kind === kind && x.metadata.name === name);
  expect(r, `${kind} ${name}`).toBeDefined();
  return r as Resource & { spec: Yaml };
};

describe.each(['infra/k8s/base', 'infra/k8s/overlays/flu-season'])('%s', (kustomization) => {
  it('renders, and every resource is valid against the Kubernetes and KEDA schemas, strictly', () => {
    expect(TOOLS, 'VISITA_K8S_TOOLS (scripts/ensure-k8s-tools.sh; make test sets it)').toBeTruthy();
    const text = render(kustomization);
    const verdict = validate(text);
    expect(verdict.invalid).toEqual([]);
    expect(verdict.skipped).toBe(0);
    expect(verdict.valid).toBe(resources(text).length);
    expect(verdict.valid).toBeGreaterThanOrEqual(20);
  });

  it('has what the platform relies on: draining SFU nodes on the host network, budgets, policies, scalers', () => {
    const all = resources(render(kustomization));
    expect(new Set(all.map((r) => r.metadata.namespace ?? 'visita'))).toEqual(new Set(['visita']));
    const sfu = find(all, 'Deployment', 'sfu').spec.template.spec;
    expect(sfu.hostNetwork).toBe(true);
    const container = sfu.containers[0];
    const env = Object.fromEntries(container.env.map((e: Yaml) => [e.name, e.value ?? e.valueFrom]));
    expect(env.NODE_IP).toEqual({ fieldRef: { fieldPath: 'status.hostIP' } });
    expect(env.VISITA_RTC_ANNOUNCED_ADDRESS).toBe('$(NODE_IP)');
    // The grace period outlasts the drain, and preStop starts it and waits for the node to exit.
    const drainMs = Number(find(all, 'ConfigMap', 'visita-config').data!['VISITA_SFU_DRAIN_MAX_MS' as never]);
    expect(sfu.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainMs);
    expect(container.lifecycle.preStop.exec.command.join(' ')).toContain('kill -TERM 1');
    for (const name of ['signaling', 'web', 'sfu', 'coturn']) find(all, 'PodDisruptionBudget', name);
    expect(find(all, 'NetworkPolicy', 'default-deny-ingress').spec.podSelector).toEqual({});
    const redis = find(all, 'StatefulSet', 'redis').spec.template.spec.containers[0];
    expect(redis.args).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--requirepass']));
    expect(find(all, 'HorizontalPodAutoscaler', 'signaling').spec.scaleTargetRef.name).toBe('signaling');
    const scaler = find(all, 'ScaledObject', 'sfu').spec;
    expect(scaler.scaleTargetRef.name).toBe('sfu');
    expect(scaler.triggers[0]).toMatchObject({
      type: 'prometheus',
      metadata: { query: 'max(visita_autoscaler_desired_sfu_nodes)' },
    });
    // The autoscaler that publishes the metric: its entry point exists and its configuration
    // (ConfigMap and env) is accepted by the process's own loader.
    const autoscaler = find(all, 'Deployment', 'autoscaler').spec.template.spec.containers[0];
    expect(existsSync(join(ROOT, autoscaler.command[1]))).toBe(true);
    const autoscalerEnv = {
      ...(find(all, 'ConfigMap', 'visita-autoscaler').data as Record<string, string>),
      ...Object.fromEntries(
        autoscaler.env.filter((e: Yaml) => e.value !== undefined).map((e: Yaml) => [e.name, e.value]),
      ),
      VISITA_SFU_SECRET: 'from-the-secret-0123456789',
    };
    expect(loadAutoscalerConfig(autoscalerEnv as NodeJS.ProcessEnv)).toMatchObject({ provider: 'metric' });
    find(all, 'PodDisruptionBudget', 'autoscaler');
    // Signaling: its ConfigMap and env (secrets from visita-secrets, filled here) pass its own
    // loader, TURN included: the coturn Deployment's secret is the one it signs credentials with.
    const signaling = find(all, 'Deployment', 'signaling').spec.template.spec.containers[0];
    const fromSecret = (key: string) =>
      signaling.env.find((e: Yaml) => e.valueFrom?.secretKeyRef?.key === key)?.name as string | undefined;
    expect(fromSecret('turn-secret')).toBe('VISITA_TURN_SECRET');
    const coturn = find(all, 'Deployment', 'coturn').spec.template.spec.containers[0];
    expect(coturn.env.find((e: Yaml) => e.name === 'TURN_SECRET').valueFrom.secretKeyRef.key).toBe('turn-secret');
    const signalingEnv = {
      ...(find(all, 'ConfigMap', 'visita-config').data as Record<string, string>),
      ...Object.fromEntries(
        signaling.env.filter((e: Yaml) => e.value !== undefined).map((e: Yaml) => [e.name, e.value]),
      ),
      VISITA_JWT_KEYS: `k1:${'j'.repeat(32)}`,
      VISITA_SFU_SECRET: 'from-the-secret-0123456789',
      VISITA_DATA_KEY: 'd'.repeat(32),
      VISITA_TURN_SECRET: 'from-the-secret-0123456789',
    };
    expect(loadSignalingConfig(signalingEnv as NodeJS.ProcessEnv).turn?.urls).toEqual([
      expect.stringMatching(/^turn:.+:3478\?transport=udp$/),
      expect.stringMatching(/^turn:.+:3478\?transport=tcp$/),
    ]);
    if (kustomization.endsWith('flu-season')) {
      expect(scaler.triggers.map((t: Yaml) => t.type)).toEqual(['prometheus', 'cron']);
      expect(find(all, 'HorizontalPodAutoscaler', 'signaling').spec.minReplicas).toBe(4);
    }
  });
});

it('is strict: a misspelled field, a wrong type or a field of another API version is refused', () => {
  const text = render('infra/k8s/base');
  const broken = [
    text.replace('cooldownPeriod: 600', 'cooldownPeriodz: 600'), // KEDA ScaledObject
    text.replace('terminationGracePeriodSeconds: 2100', 'terminationGracePeriodSeconds: "2100"'),
    text.replace('minReplicas: 2', 'minReplicas: 2\n  targetCPUUtilizationPercentage: 70'), // autoscaling/v1 in v2
  ];
  for (const b of broken) {
    expect(b).not.toBe(text);
    expect(validate(b).invalid).toHaveLength(1);
  }
});
