// tools/chart-render against a fixture chart (tools/chart-render/testdata): each part of helm template's contract it
// implements gives the output helm gives.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../lib/render.js';

const bin = path.join(repoRoot, 'tools/chart-render/bin/chart-render');
const testdata = path.join(repoRoot, 'tools/chart-render/testdata');
const run = (...args) => execFileSync(bin, args, { encoding: 'utf8' });

test('values merge (-f, null deletes, --set typed), include/nindent, toYaml, tpl, .Files, .Capabilities, .Template', () => {
  const out = run('--name', 'rel', '--namespace', 'ns', '-f', path.join(testdata, 'fixture/override.yaml'), '--set', 'flag=true',
    '--api-versions', 'monitoring.coreos.com/v1', path.join(testdata, 'fixture'));
  assert.equal(out, `---
# Source: fixture/templates/all.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: rel-base
  namespace: ns
  labels:
    app: fixture
    release: rel
data:
  replicas: "3"
  kind-of-replicas: "float64"
  chart: "fixture-1.2.3-4.5"
  nested: "added: yes-added\\nkeep: kept\\nlist:\\n- a\\n- b"
  tpl: "hello rel"
  missing: ""
  template: "fixture/templates/all.yaml"
  file: "from a file"
  has-apps: "true"
  has-monitoring: "true"
  set-flag: "true"
  set-kind: "bool"
  env-removed: "false"
  kube: "v1.32.0"
`);
});

test('defaults: release-name, namespace default, no extra API versions; --set integers are int64; --show-values is the merged values', () => {
  const out = run('--set', 'flag=7', path.join(testdata, 'fixture'));
  assert.match(out, /name: release-name-base\n {2}namespace: default\n/);
  assert.match(out, /has-monitoring: "false"/);
  assert.match(out, /set-kind: "int64"/);
  const values = JSON.parse(run('--show-values', '-f', path.join(testdata, 'fixture/override.yaml'), path.join(testdata, 'fixture')));
  assert.deepEqual(values.nested, { keep: 'kept', list: ['a', 'b'], added: 'yes-added' });
  assert.equal(values.replicas, 3);
});

test('a Kubernetes version outside Chart.yaml\'s kubeVersion fails the render, as helm template does', () => {
  const old = spawnSync(bin, ['--kube-version', 'v1.19.2', path.join(testdata, 'fixture')], { encoding: 'utf8' });
  assert.equal(old.status, 1);
  assert.match(old.stderr, /chart requires kubeVersion: >=1\.20\.0-0 which is incompatible with Kubernetes v1\.19\.2/);
  assert.match(run('--kube-version', '1.21.4', path.join(testdata, 'fixture')), /kube: "v1\.21\.4"/);
});

test('required fails the render with its message; a document that is not YAML fails naming its template', () => {
  const required = spawnSync(bin, ['--set', 'fail=true', path.join(testdata, 'fixture')], { encoding: 'utf8' });
  assert.equal(required.status, 1);
  assert.match(required.stderr, /error calling required: fail is set: optional must be given/);
  const broken = spawnSync(bin, [path.join(testdata, 'broken')], { encoding: 'utf8' });
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, /broken\/templates\/cm\.yaml: the rendered YAML does not parse/);
});
