// The Orleans-specific settings (labels, fieldRefs and their use, GPU resources, probes, rollout, uploads, keys,
// scraping) on the chart's renders and on the kustomize overlays.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkOrleansDeployment } from '../lib/orleans.js';
import { parse } from 'yaml';
import { hasKubectl, podSpecOf, readRepoFile, renderChart, renderOverlay } from '../lib/render.js';

test('chart, default values: a CPU-pool Orleans cluster with every Orleans setting', () => {
  const objects = renderChart();
  const { silo } = checkOrleansDeployment(objects, { gpu: false, clusterId: 'uws', serviceId: 'uws' });
  const annotations = silo.spec.template.metadata.annotations;
  assert.equal(annotations['prometheus.io/scrape'], 'true');
  assert.equal(Number(annotations['prometheus.io/port']), podSpecOf(silo).containers[0].ports.find((p) => p.name === 'http').containerPort);
  assert.equal(annotations['prometheus.io/path'], '/metrics');
});

test('chart, values-gpu.yaml: silos on the GPU pool, one per node, scraped by a ServiceMonitor', () => {
  const objects = renderChart({ valueFiles: ['values-gpu.yaml'], set: { 'orleans.clusterId': 'prod-a', 'orleans.serviceId': 'uws-prod' } });
  checkOrleansDeployment(objects, { gpu: true, clusterId: 'prod-a', serviceId: 'uws-prod' });
  const monitor = objects.find((o) => o.kind === 'ServiceMonitor');
  const selected = objects.filter((o) => o.kind === 'Service' && monitor.spec.selector.matchExpressions.every((e) => e.values.includes(o.metadata.labels[e.key])));
  assert.deepEqual(selected.map((s) => s.metadata.labels['app.kubernetes.io/component']).sort(), ['gateway', 'silo']);
  for (const service of selected) assert.ok(service.spec.ports.some((p) => p.name === monitor.spec.endpoints[0].port), `${service.metadata.name} has no ${monitor.spec.endpoints[0].port} port`);
  assert.equal(monitor.spec.endpoints[0].path, '/metrics');
});

test('chart: the PodDisruptionBudget appears only with more than one silo; the Redis password stays out of plain env values', () => {
  assert.equal(renderChart({ set: { 'silo.replicas': 1 } }).filter((o) => o.kind === 'PodDisruptionBudget').length, 0);
  const objects = renderChart({ set: { 'redis.auth.password': 'p4ss' } });
  const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name.endsWith('-redis'));
  assert.equal(Buffer.from(secret.data['redis-password'], 'base64').toString(), 'p4ss');
  const text = JSON.stringify(objects.filter((o) => o.kind !== 'Secret'));
  assert.ok(!text.includes('p4ss'), 'the password appears outside its Secret');
});

test('chart: the Grafana dashboard and the Prometheus rules are deploy/\'s files, for the sidecar and the Operator', () => {
  const objects = renderChart({ valueFiles: ['values-gpu.yaml'] });
  const dashboards = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.labels.grafana_dashboard === '1');
  assert.ok(dashboards, 'no ConfigMap labelled grafana_dashboard=1');
  assert.deepEqual(JSON.parse(dashboards.data['orleans-uws.json']), JSON.parse(readRepoFile('deploy/grafana/orleans-uws.json')));
  const rule = objects.find((o) => o.kind === 'PrometheusRule');
  assert.deepEqual(rule.spec, parse(readRepoFile('deploy/prometheus/uws-rules.yml')));
  assert.equal(rule.metadata.labels.release, 'kube-prometheus-stack');
});

for (const [overlay, gpu] of [['cpu-dev', false], ['gpu-prod', true]]) {
  test(`k8s/overlays/${overlay}: every Orleans setting${gpu ? ', on the GPU pool' : ''}`, (t) => {
    if (!hasKubectl()) {
      t.skip('kubectl (for kubectl kustomize) is not installed');
      return;
    }
    checkOrleansDeployment(renderOverlay(overlay), { gpu, clusterId: 'uws', serviceId: 'uws' });
  });
}

test('the Orleans checks fail, naming the field, on the defects they guard against', () => {
  const broken = (mutate) => {
    const objects = renderChart();
    mutate(Object.fromEntries(objects.filter((o) => o.kind === 'Deployment').map((d) => [d.spec.template.metadata.labels['app.kubernetes.io/component'], podSpecOf(d)])));
    return () => checkOrleansDeployment(objects, { gpu: false, clusterId: 'uws', serviceId: 'uws' });
  };
  assert.throws(broken((p) => { p.silo.containers[0].env = p.silo.containers[0].env.filter((e) => e.name !== 'Uws__Silo__AdvertisedAddress'); }), /Uws__Silo__AdvertisedAddress must be \$\(POD_IP\)/);
  assert.throws(broken((p) => { p.gateway.containers[0].args.push('--urls', 'http://localhost:5080'); }), /--urls would override ASPNETCORE_URLS/);
  assert.throws(broken((p) => { const a = p.gateway.containers[0].args; a[a.indexOf('--upload-dir') + 1] = 'uws-uploads'; }), /--upload-dir must be an absolute path/);
  assert.throws(broken((p) => { p.silo.terminationGracePeriodSeconds = 30; }), /DOTNET_SHUTDOWNTIMEOUTSECONDS \(150\) must be below terminationGracePeriodSeconds \(30\)/);
  assert.throws(broken((p) => { p.silo.containers[0].readinessProbe.httpGet.path = '/'; }), /readinessProbe/);
});
