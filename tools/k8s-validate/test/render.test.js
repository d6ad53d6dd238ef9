// Renders the chart (default values, the GPU values file) and the kustomize overlays, and schema-checks every
// object with kubernetes-models; the chart's values against values.schema.json.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chartValues, hasKubectl, renderChart, renderOverlay } from '../lib/render.js';
import { validateObject, valuesSchemaErrors } from '../lib/schema.js';

const kinds = (objects) => objects.map((o) => o.kind).sort();

async function validateAll(objects) {
  const failures = [];
  for (const object of objects) {
    try {
      await validateObject(object);
    } catch (error) {
      failures.push(error.message);
    }
  }
  assert.deepEqual(failures, [], failures.join('\n'));
}

test('the chart with default values renders the CPU cluster and every object passes the Kubernetes schema', async () => {
  const objects = renderChart();
  assert.deepEqual(kinds(objects), [
    'ConfigMap', 'ConfigMap', 'Deployment', 'Deployment', 'PersistentVolumeClaim', 'Pod', 'PodDisruptionBudget', 'Secret',
    'Secret', 'Service', 'Service', 'Service', 'ServiceAccount', 'StatefulSet',
  ]);
  assert.deepEqual(valuesSchemaErrors(chartValues()), []);
  await validateAll(objects);
});

test('the chart with values-gpu.yaml adds Ingress, HPA, ServiceMonitor and PrometheusRule; every object passes its schema', async () => {
  const objects = renderChart({ valueFiles: ['values-gpu.yaml'] });
  for (const kind of ['Ingress', 'HorizontalPodAutoscaler', 'ServiceMonitor', 'PrometheusRule']) {
    assert.equal(objects.filter((o) => o.kind === kind).length, 1, `one ${kind}`);
  }
  assert.deepEqual(valuesSchemaErrors(chartValues({ valueFiles: ['values-gpu.yaml'] })), []);
  await validateAll(objects);
});

test('values.schema.json rejects a bad port, an unknown key and a malformed key hash, naming each', () => {
  const values = chartValues({ set: { 'silo.ports.http': 'eighty', 'gateway.replica': 2 } });
  values.apiKeys.keys = { ci: { scopes: ['read'], sha256: 'not-hex' } };
  const errors = valuesSchemaErrors(values);
  assert.ok(errors.some((e) => e.startsWith('/silo/ports/http')), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('/gateway ') && e.includes('additional properties')), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('/apiKeys/keys/ci/sha256')), errors.join('\n'));
});

test('the schema check fails an object that breaks the Kubernetes schema (the check can fail)', async () => {
  const [deployment] = renderChart().filter((o) => o.kind === 'Deployment');
  deployment.spec.replicas = 'three';
  await assert.rejects(validateObject(deployment), /spec\/replicas must be integer/);
  await assert.rejects(validateObject({ apiVersion: 'example.com/v1', kind: 'Nothing', metadata: { name: 'x' } }), /no schema for example.com\/v1 Nothing/);
});

test('external Redis without an address fails the render with required\'s message', () => {
  assert.throws(() => renderChart({ set: { 'redis.enabled': false } }), /redis\.external\.address is required when redis\.enabled=false/);
  const objects = renderChart({ set: { 'redis.enabled': false, 'redis.external.address': 'redis.example:6380' } });
  assert.equal(objects.filter((o) => o.kind === 'StatefulSet').length, 0);
  const gateway = objects.find((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-gateway'));
  assert.equal(gateway.spec.template.spec.containers[0].env.find((e) => e.name === 'UWS_REDIS').value, 'redis.example:6380,abortConnect=false');
});

for (const overlay of ['cpu-dev', 'gpu-prod']) {
  test(`kubectl kustomize k8s/overlays/${overlay} renders and every object passes the Kubernetes schema`, async (t) => {
    if (!hasKubectl()) {
      t.skip('kubectl (for kubectl kustomize) is not installed');
      return;
    }
    const objects = renderOverlay(overlay);
    assert.ok(objects.length >= 10, `${overlay}: ${objects.length} objects`);
    await validateAll(objects);
  });
}

test('other value combinations render valid objects: external Redis with a password, own Secrets, no keys, no spreading', async () => {
  const variations = [
    { 'redis.enabled': false, 'redis.external.address': 'redis.example:6380', 'redis.external.existingSecret': 'managed-redis', 'redis.external.options': 'ssl=true' },
    { 'redis.auth.existingSecret': 'my-redis', 'redis.auth.existingSecretKey': 'pw', 'apiKeys.existingSecret': 'my-keys', 'models.existingClaim': 'models-rwx' },
    { 'apiKeys.enabled': false, 'silo.podAntiAffinity': 'none', 'silo.replicas': 1, 'telemetry.prometheusAnnotations': false, 'fullnameOverride': 'uws' },
  ];
  for (const set of variations) {
    assert.deepEqual(valuesSchemaErrors(chartValues({ set })), [], JSON.stringify(set));
    const objects = renderChart({ set });
    await validateAll(objects);
    const silo = objects.find((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-silo'));
    const env = Object.fromEntries(silo.spec.template.spec.containers[0].env.map((e) => [e.name, e]));
    if (set['redis.external.existingSecret']) {
      assert.deepEqual(env.REDIS_PASSWORD.valueFrom.secretKeyRef, { name: 'managed-redis', key: 'redis-password' });
      assert.equal(env.UWS_REDIS.value, 'redis.example:6380,ssl=true,password=$(REDIS_PASSWORD)');
    }
    if (set['redis.auth.existingSecret']) {
      assert.deepEqual(env.REDIS_PASSWORD.valueFrom.secretKeyRef, { name: 'my-redis', key: 'pw' });
      assert.equal(objects.filter((o) => o.kind === 'Secret').length, 0, 'no Secret is rendered when both are the user\'s');
      assert.equal(objects.filter((o) => o.kind === 'PersistentVolumeClaim').length, 0);
      assert.equal(silo.spec.template.spec.volumes.find((v) => v.name === 'models').persistentVolumeClaim.claimName, 'models-rwx');
    }
    if (set['apiKeys.enabled'] === false) {
      const gateway = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'uws-gateway');
      assert.ok(!gateway.spec.template.spec.containers[0].args.includes('--keys-file'));
      assert.equal(silo.spec.template.spec.affinity, undefined);
      assert.equal(objects.filter((o) => o.kind === 'PodDisruptionBudget').length, 0);
    }
  }
});
