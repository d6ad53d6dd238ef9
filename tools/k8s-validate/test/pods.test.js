// Exercises what the pods of the chart and of the cpu-dev overlay would run: Redis, a silo and the gateway, started on
// loopback from the rendered manifests (see lib/pod.js for what stands in for the cluster), must pass the probes the
// manifests name.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { hasKubectl, podSpecOf, renderChart, renderOverlay, workload } from '../lib/render.js';
import { entrypoints, gatewayDll, siloDll } from '../lib/entrypoints.js';
import { freePort, isFree, planPods, startContainer, waitForProbe } from '../lib/pod.js';

const startupTimeoutMs = 120_000;

let keysFileSupport;
/** Whether the built gateway takes --keys-file (API keys arrive with the HTTP-API work; older builds reject it). */
function gatewayTakesKeysFile() {
  keysFileSupport ??= execFileSync('dotnet', ['exec', gatewayDll, 'serve', '--help'], { encoding: 'utf8' }).includes('--keys-file');
  return keysFileSupport;
}

function tail(file) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts the Redis, silo and gateway pods of a rendered deployment on the given loopback addresses, brings each
 * through its probes, checks what the silo advertised and where uploads land, then stops the processes with SIGTERM.
 */
async function exercise(t, objects, ips, namespace) {
  assert.ok(existsSync(siloDll) && existsSync(gatewayDll), `build the silo and the coordinator first (dotnet build -c Release): ${siloDll}, ${gatewayDll}`);
  const root = mkdtempSync(path.join(os.tmpdir(), 'uws-pods-'));
  const helmTests = objects.filter((o) => o.kind === 'Pod' && o.metadata.annotations?.['helm.sh/hook'] === 'test');
  const pods = planPods({
    objects,
    namespace,
    root,
    entrypoints,
    workloads: ['redis', 'silo', 'gateway'].map((c) => ({ object: workload(objects, c), ip: ips[c] }))
      .concat(helmTests.map((object) => ({ object, ip: ips.tests }))),
  });
  const [redis, silo, gateway] = pods.map((p) => p.containers[0]);
  const keysArg = gateway.argv.indexOf('--keys-file');
  if (keysArg >= 0) {
    assert.ok(existsSync(gateway.argv[keysArg + 1]), `the keys file ${gateway.argv[keysArg + 1]} is not in the mounted Secret`);
    if (!gatewayTakesKeysFile()) {
      gateway.argv.splice(keysArg, 2);
      t.diagnostic('this gateway build has no --keys-file option: started without it');
    }
  }
  const running = [];
  t.after(() => {
    for (const r of running) if (r.exit === null) r.child.kill('SIGKILL');
    if (!process.env.KEEP_POD_LOGS) rmSync(root, { recursive: true, force: true });
  });

  const bringUp = async (planned) => {
    const started = startContainer(planned, path.join(root, 'logs'));
    running.push(started);
    const c = planned.container;
    for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      if (!c[kind]) continue;
      // The kubelet's budget for the probe, capped so a broken pod fails the test in reasonable time.
      const budgetMs = Math.min(startupTimeoutMs, 1000 * (c[kind].periodSeconds ?? 10) * (c[kind].failureThreshold ?? 3));
      const ok = await waitForProbe(started, c[kind], Math.max(budgetMs, 30_000));
      assert.ok(ok, `${planned.pod.name}: ${kind} ${JSON.stringify(c[kind].httpGet ?? c[kind].exec ?? c[kind].tcpSocket)} never succeeded on ${planned.pod.ip}\n${tail(started.log)}`);
    }
    return started;
  };

  await bringUp(redis);
  const siloRun = await bringUp(silo);
  const gatewayRun = await bringUp(gateway);

  // Prometheus scrapes what the pod annotations name (port and path), and finds metrics there.
  for (const planned of [silo, gateway]) {
    const annotations = workload(objects, planned.pod.labels['app.kubernetes.io/component']).spec.template.metadata.annotations ?? {};
    if (annotations['prometheus.io/scrape'] !== 'true') continue;
    const response = await fetch(`http://${planned.pod.ip}:${annotations['prometheus.io/port']}${annotations['prometheus.io/path']}`);
    const text = await response.text();
    assert.equal(response.status, 200, `${planned.pod.name}: ${annotations['prometheus.io/path']} answered ${response.status}`);
    assert.match(text, /^# TYPE /m, `${planned.pod.name}: ${annotations['prometheus.io/path']} serves no Prometheus metrics`);
  }

  // The silo advertises the pod's IP (POD_IP by fieldRef) in the membership table, at the manifest's silo port.
  const siloPort = silo.container.ports.find((p) => p.name === 'silo').containerPort;
  const redisPort = redis.container.ports.find((p) => p.name === 'redis').containerPort;
  const cli = (...args) => execFileSync('redis-cli', ['-h', ips.redis, '-p', String(redisPort), ...args], { env: { PATH: process.env.PATH, REDISCLI_AUTH: redis.env.REDIS_PASSWORD }, encoding: 'utf8' });
  const keys = cli('--scan').split('\n').filter(Boolean);
  const membership = keys.filter((k) => cli('type', k).trim() === 'hash').map((k) => cli('hgetall', k)).join('\n');
  assert.match(membership, new RegExp(`${ips.silo.replaceAll('.', '\\.')}:${siloPort}`), `the membership table names no silo at ${ips.silo}:${siloPort}:\n${membership.slice(0, 2000)}`);

  // Uploads land on the shared volume the silo mounts (the gateway created its upload folder there).
  const uploadArg = gateway.argv[gateway.argv.indexOf('--upload-dir') + 1];
  const models = silo.mounts.find(([mountPath]) => mountPath === '/models')[1];
  assert.ok(uploadArg.startsWith(models + path.sep), `--upload-dir ${uploadArg} is not on the silo's model volume ${models}`);

  // `helm test`: each test pod runs to completion and succeeds against the running release.
  for (const pod of pods.slice(3)) {
    const run = startContainer(pod.containers[0], path.join(root, 'logs'));
    running.push(run);
    const exit = await run.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, `helm test pod ${pod.name} failed\n${tail(run.log)}`);
    assert.match(run.output, /Healthy/, `helm test pod ${pod.name}: the gateway did not report Healthy`);
  }

  // SIGTERM, as the kubelet sends it: each process ends cleanly within its pod's grace period.
  for (const [run, planned] of [[gatewayRun, gateway], [siloRun, silo]]) {
    const grace = planned.pod.spec.terminationGracePeriodSeconds;
    const started = Date.now();
    run.child.kill('SIGTERM');
    let timer;
    const exit = await Promise.race([run.exited, new Promise((r) => { timer = setTimeout(() => r('timeout'), grace * 1000); })]);
    clearTimeout(timer);
    assert.notEqual(exit, 'timeout', `${planned.pod.name} did not stop within its ${grace} s grace period\n${tail(run.log)}`);
    assert.equal(exit.code, 0, `${planned.pod.name} exited with ${JSON.stringify(exit)} after SIGTERM\n${tail(run.log)}`);
    t.diagnostic(`${planned.pod.name} stopped in ${Date.now() - started} ms`);
  }
}

test('the chart\'s Redis, silo and gateway pods come up on loopback and pass their probes', async (t) => {
  const ips = { redis: '127.0.0.2', silo: '127.0.0.3', gateway: '127.0.0.4', tests: '127.0.0.8' };
  // Free ports, given to the chart as values: the test then reads every port back from the rendered manifests.
  const set = {
    'redis.port': await freePort(ips.redis),
    'silo.ports.http': await freePort(ips.silo),
    'silo.ports.silo': await freePort(ips.silo),
    'silo.ports.gateway': await freePort(ips.silo),
    'gateway.port': await freePort(ips.gateway),
    'silo.replicas': 1,
    'gateway.replicas': 1,
  };
  await exercise(t, renderChart({ set, namespace: 'uws' }), ips, 'uws');
});

test('the cpu-dev overlay\'s Redis, silo and gateway pods come up on loopback and pass their probes', async (t) => {
  if (!hasKubectl()) {
    t.skip('kubectl (for kubectl kustomize) is not installed');
    return;
  }
  const objects = renderOverlay('cpu-dev');
  const ips = { redis: '127.0.0.5', silo: '127.0.0.6', gateway: '127.0.0.7' };
  // The overlay's ports are fixed; on a shared machine one may be taken by a wildcard listener.
  for (const [component, ip] of Object.entries(ips)) {
    for (const port of podSpecOf(workload(objects, component)).containers[0].ports) {
      if (!(await isFree(ip, port.containerPort))) {
        t.skip(`port ${port.containerPort} is in use on ${ip}`);
        return;
      }
    }
  }
  await exercise(t, objects, ips, 'uws-dev');
});
