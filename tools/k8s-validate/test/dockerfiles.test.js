// The images cannot be built here (no Docker daemon): this checks what can be checked without one. Each Dockerfile
// is multi-stage, copies sources that exist, publishes a project whose assembly is the entry point, runs as a
// non-root user, stops within Kubernetes' default grace period, and its entry point is the command the manifests run.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { entrypoints } from '../lib/entrypoints.js';
import { hasKubectl, podSpecOf, renderChart, renderOverlay, repoRoot, workload } from '../lib/render.js';

/** Instructions of a Dockerfile: [{ op, args }] with continuation lines joined and comments dropped. */
function parseDockerfile(file) {
  const lines = readFileSync(path.join(repoRoot, file), 'utf8').replace(/\\\n/g, ' ').split('\n');
  return lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
    const [op, ...rest] = l.split(/\s+/);
    return { op: op.toUpperCase(), args: rest.join(' ') };
  });
}

function assemblyName(project) {
  const xml = readFileSync(path.join(repoRoot, project), 'utf8');
  return /<AssemblyName>([^<]+)<\/AssemblyName>/.exec(xml)?.[1] ?? path.basename(project, '.csproj');
}

/** The facts of one image: stages, final-stage user, env, entry point, and the publish output's apphost. */
function inspect(file) {
  const instructions = parseDockerfile(file);
  const stages = instructions.filter((i) => i.op === 'FROM');
  const finalStage = instructions.slice(instructions.lastIndexOf(stages.at(-1)));
  const env = {};
  for (const i of finalStage.filter((x) => x.op === 'ENV')) {
    for (const [, k, v] of i.args.matchAll(/(\w+)=(\S+)/g)) env[k] = v;
  }
  const publish = instructions.filter((i) => i.op === 'RUN').map((i) => /dotnet publish (\S+\.csproj)\b.*-o (\S+)/.exec(i.args)).find(Boolean);
  return {
    stages,
    copies: instructions.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from')),
    copiesFromBuild: finalStage.filter((i) => i.op === 'COPY' && i.args.startsWith('--from=build')),
    user: finalStage.filter((i) => i.op === 'USER').at(-1)?.args,
    env,
    entrypoint: JSON.parse(finalStage.find((i) => i.op === 'ENTRYPOINT')?.args ?? 'null'),
    publish: publish && { project: publish[1], output: publish[2] },
  };
}

const images = {
  'deploy/Dockerfile.silo': { component: 'silo', render: () => renderChart() },
  'deploy/Dockerfile.silo-cuda': { component: 'silo', render: () => renderChart({ valueFiles: ['values-gpu.yaml'] }) },
  'deploy/Dockerfile.gateway': { component: 'gateway', render: () => renderChart() },
};

for (const [file, { component, render }] of Object.entries(images)) {
  test(`${file}: multi-stage, real sources, non-root, graceful stop, entry point = the published apphost = the manifests' command`, () => {
    const image = inspect(file);
    assert.ok(image.stages.length >= 2, `${file}: not multi-stage`);
    assert.doesNotMatch(image.stages.at(-1).args, /dotnet\/sdk/, `${file}: the runtime stage is the SDK image`);
    for (const copy of image.copies) {
      const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const source of parts.slice(0, -1)) assert.ok(existsSync(path.join(repoRoot, source)), `${file}: COPY source ${source} does not exist`);
    }
    assert.ok(image.publish, `${file}: no dotnet publish`);
    assert.ok(existsSync(path.join(repoRoot, image.publish.project)), `${file}: ${image.publish.project} does not exist`);
    assert.ok(image.copiesFromBuild.some((c) => c.args.includes(` ${image.publish.output} `)), `${file}: the publish output ${image.publish.output} is not copied into the runtime stage`);
    assert.ok(Array.isArray(image.entrypoint), `${file}: ENTRYPOINT must be in exec form (signals reach the process)`);
    assert.equal(image.entrypoint[0], `${image.publish.output}/${assemblyName(image.publish.project)}`, `${file}: ENTRYPOINT is not the published apphost`);
    assert.match(image.user ?? '', /^[1-9]\d*(:[1-9]\d*)?$/, `${file}: USER must be a numeric non-root id`);
    assert.ok(Number(image.env.DOTNET_SHUTDOWNTIMEOUTSECONDS) > 0 && Number(image.env.DOTNET_SHUTDOWNTIMEOUTSECONDS) < 30, `${file}: DOTNET_SHUTDOWNTIMEOUTSECONDS must be below Kubernetes' default 30 s grace period`);
    assert.ok(image.entrypoint[0] in entrypoints, `${file}: the pods test has no local stand-in for ${image.entrypoint[0]}`);

    const container = podSpecOf(workload(render(), component)).containers[0];
    assert.equal(container.command[0], image.entrypoint[0], `${file}: the chart's ${component} runs ${container.command[0]}`);
    assert.equal(container.image.split(':')[0], path.basename(file).replace('Dockerfile.', 'orleans-uws-'), `${file}: the chart's ${component} runs image ${container.image}`);
  });
}

test('k8s overlays run the images\' entry points', (t) => {
  if (!hasKubectl()) {
    t.skip('kubectl (for kubectl kustomize) is not installed');
    return;
  }
  for (const [overlay, siloImage] of [['cpu-dev', 'deploy/Dockerfile.silo'], ['gpu-prod', 'deploy/Dockerfile.silo-cuda']]) {
    const objects = renderOverlay(overlay);
    assert.equal(podSpecOf(workload(objects, 'silo')).containers[0].command[0], inspect(siloImage).entrypoint[0], `${overlay}: silo command`);
    assert.equal(podSpecOf(workload(objects, 'gateway')).containers[0].command[0], inspect('deploy/Dockerfile.gateway').entrypoint[0], `${overlay}: gateway command`);
    assert.equal(podSpecOf(workload(objects, 'silo')).containers[0].image.split(':')[0], path.basename(siloImage).replace('Dockerfile.', 'orleans-uws-'), `${overlay}: silo image`);
  }
});
