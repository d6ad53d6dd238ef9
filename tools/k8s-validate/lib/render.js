// Renders the deployment files as CI sees them: the Helm chart through tools/chart-render (helm template's contract,
// built from Debian's Go packages) and the kustomize overlays through `kubectl kustomize`. Parses the YAML streams.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const chartDir = path.join(repoRoot, 'helm/orleans-uws');
const rendererDir = path.join(repoRoot, 'tools/chart-render');
const rendererBin = path.join(rendererDir, 'bin/chart-render');

/** Builds the renderer once per run, offline: GOPATH mode over Debian's packaged sources in /usr/share/gocode. */
export function buildRenderer() {
  mkdirSync(path.dirname(rendererBin), { recursive: true });
  execFileSync('go', ['build', '-o', rendererBin, '.'], {
    cwd: rendererDir,
    env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOFLAGS: '', GOCACHE: process.env.GOCACHE ?? path.join(rendererDir, 'bin/.gocache') },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return rendererBin;
}

let built;
function renderer() {
  built ??= existsSync(rendererBin) && process.env.CHART_RENDER_REBUILD !== '1' ? rendererBin : buildRenderer();
  return built;
}

/** Parses a multi-document YAML stream into objects, failing on any YAML error. */
export function parseStream(text, source) {
  const objects = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    }
    const value = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value);
  }
  return objects;
}

/** `helm template RELEASE helm/orleans-uws [-f ...] [--set ...]` → the rendered objects. */
export function renderChart({ release = 'uws', namespace = 'uws', valueFiles = [], set = {} } = {}) {
  const args = ['--name', release, '--namespace', namespace];
  for (const f of valueFiles) args.push('-f', path.resolve(chartDir, f));
  for (const [k, v] of Object.entries(set)) args.push('--set', `${k}=${v}`);
  args.push(chartDir);
  const text = execFileSync(renderer(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseStream(text, `chart ${valueFiles.join(',') || 'defaults'}`);
}

/** The merged values of a chart render, as helm would check them against values.schema.json. */
export function chartValues({ valueFiles = [], set = {} } = {}) {
  const args = ['--show-values'];
  for (const f of valueFiles) args.push('-f', path.resolve(chartDir, f));
  for (const [k, v] of Object.entries(set)) args.push('--set', `${k}=${v}`);
  args.push(chartDir);
  return JSON.parse(execFileSync(renderer(), args, { encoding: 'utf8' }));
}

/** Whether `kubectl kustomize` can run here. */
export function hasKubectl() {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `kubectl kustomize k8s/overlays/NAME` → the rendered objects. */
export function renderOverlay(name) {
  const dir = path.join(repoRoot, 'k8s/overlays', name);
  const text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseStream(text, `k8s/overlays/${name}`);
}

export function readRepoFile(relative) {
  return readFileSync(path.join(repoRoot, relative), 'utf8');
}

/** The pod template of a workload (Deployment, StatefulSet) or a bare Pod. */
export function podSpecOf(object) {
  return object.kind === 'Pod' ? object.spec : object.spec?.template?.spec;
}

export function podLabelsOf(object) {
  return object.kind === 'Pod' ? object.metadata?.labels ?? {} : object.spec?.template?.metadata?.labels ?? {};
}

export function find(objects, kind, predicate = () => true) {
  return objects.filter((o) => o.kind === kind && predicate(o));
}

/** The one workload whose pods carry app.kubernetes.io/component=COMPONENT. */
export function workload(objects, component) {
  const found = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && podLabelsOf(o)['app.kubernetes.io/component'] === component);
  if (found.length !== 1) throw new Error(`expected one workload for component ${component}, found ${found.length}`);
  return found[0];
}
