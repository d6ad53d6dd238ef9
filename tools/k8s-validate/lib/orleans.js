// What an Orleans-on-Kubernetes deployment of OrleansUws must carry, checked the same way on the chart's render and
// on each kustomize overlay. Each check throws an AssertionError naming the object and field at fault.
import assert from 'node:assert/strict';
import { podSpecOf, podLabelsOf, workload } from './render.js';

function envOf(container, name) {
  return (container.env ?? []).find((e) => e.name === name);
}

function listenPort(container) {
  const urls = envOf(container, 'ASPNETCORE_URLS')?.value;
  assert.ok(urls, `${container.name}: ASPNETCORE_URLS is not set`);
  const match = /:(\d+)$/.exec(urls);
  assert.ok(match, `${container.name}: ASPNETCORE_URLS ${urls} names no port`);
  return Number(match[1]);
}

function probeChecks(container, where) {
  const http = (container.ports ?? []).find((p) => p.name === 'http');
  assert.ok(http, `${where}: no container port named http`);
  assert.equal(http.containerPort, listenPort(container), `${where}: the http port is not the port ASPNETCORE_URLS listens on`);
  assert.deepEqual(container.startupProbe?.httpGet, { path: '/alive', port: 'http' }, `${where}: startupProbe`);
  assert.deepEqual(container.readinessProbe?.httpGet, { path: '/health', port: 'http' }, `${where}: readinessProbe`);
  assert.deepEqual(container.livenessProbe?.httpGet, { path: '/alive', port: 'http' }, `${where}: livenessProbe`);
}

function hardening(object, container, where) {
  const pod = podSpecOf(object);
  assert.equal(pod.securityContext?.runAsNonRoot, true, `${where}: pod securityContext.runAsNonRoot`);
  assert.equal(container.securityContext?.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
  assert.equal(container.securityContext?.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
  const tmp = (container.volumeMounts ?? []).find((m) => m.mountPath === '/tmp');
  assert.ok(tmp && pod.volumes.find((v) => v.name === tmp.name)?.emptyDir, `${where}: /tmp is not a writable emptyDir`);
  const shutdown = Number(envOf(container, 'DOTNET_SHUTDOWNTIMEOUTSECONDS')?.value);
  assert.ok(shutdown > 0 && shutdown < pod.terminationGracePeriodSeconds,
    `${where}: DOTNET_SHUTDOWNTIMEOUTSECONDS (${shutdown}) must be below terminationGracePeriodSeconds (${pod.terminationGracePeriodSeconds})`);
}

function volumeFor(object, container, mountPath) {
  const mount = (container.volumeMounts ?? []).find((m) => mountPath === m.mountPath || mountPath.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
  if (!mount) return undefined;
  return { mount, volume: podSpecOf(object).volumes.find((v) => v.name === mount.name) };
}

/**
 * Checks the silo and gateway workloads of a rendered deployment. `expect`: { gpu, clusterId, serviceId }.
 * Returns the silo and gateway objects for further checks.
 */
export function checkOrleansDeployment(objects, expect) {
  const silo = workload(objects, 'silo');
  const gateway = workload(objects, 'gateway');
  const siloContainer = podSpecOf(silo).containers[0];
  const gatewayContainer = podSpecOf(gateway).containers[0];
  const s = `Deployment/${silo.metadata.name}`;
  const g = `Deployment/${gateway.metadata.name}`;

  // Orleans' labels on the silo pods.
  const labels = podLabelsOf(silo);
  assert.equal(labels['orleans/serviceId'], expect.serviceId, `${s}: pod label orleans/serviceId`);
  assert.equal(labels['orleans/clusterId'], expect.clusterId, `${s}: pod label orleans/clusterId`);

  // The downward API, and the silo using it: it advertises the pod's IP, telemetry names the pod.
  for (const [name, field] of [['POD_NAME', 'metadata.name'], ['POD_NAMESPACE', 'metadata.namespace'], ['POD_IP', 'status.podIP']]) {
    assert.equal(envOf(siloContainer, name)?.valueFrom?.fieldRef?.fieldPath, field, `${s}: env ${name} must come from fieldRef ${field}`);
  }
  assert.equal(envOf(siloContainer, 'Uws__Silo__AdvertisedAddress')?.value, '$(POD_IP)', `${s}: Uws__Silo__AdvertisedAddress must be $(POD_IP)`);
  assert.match(envOf(siloContainer, 'OTEL_RESOURCE_ATTRIBUTES')?.value ?? '', /k8s\.pod\.name=\$\(POD_NAME\).*k8s\.namespace\.name=\$\(POD_NAMESPACE\)/, `${s}: OTEL_RESOURCE_ATTRIBUTES names the pod`);
  assert.equal(envOf(siloContainer, 'Uws__Silo__ClusterId')?.value, expect.clusterId, `${s}: Uws__Silo__ClusterId`);
  assert.equal(envOf(siloContainer, 'Uws__Silo__ServiceId')?.value, expect.serviceId, `${s}: Uws__Silo__ServiceId`);
  const siloPort = siloContainer.ports.find((p) => p.name === 'silo')?.containerPort;
  const gatewayPort = siloContainer.ports.find((p) => p.name === 'gateway')?.containerPort;
  assert.equal(Number(envOf(siloContainer, 'Uws__Silo__SiloPort')?.value), siloPort, `${s}: Uws__Silo__SiloPort is not the container port named silo`);
  assert.equal(Number(envOf(siloContainer, 'Uws__Silo__GatewayPort')?.value), gatewayPort, `${s}: Uws__Silo__GatewayPort is not the container port named gateway`);

  // GPU pool or CPU pool.
  const requests = siloContainer.resources?.requests ?? {};
  const limits = siloContainer.resources?.limits ?? {};
  const spec = podSpecOf(silo);
  if (expect.gpu) {
    assert.equal(Number(limits['nvidia.com/gpu']), 1, `${s}: limits nvidia.com/gpu`);
    assert.equal(Number(requests['nvidia.com/gpu'] ?? limits['nvidia.com/gpu']), 1, `${s}: requests nvidia.com/gpu`);
    assert.equal(spec.nodeSelector?.['nvidia.com/gpu.present'], 'true', `${s}: nodeSelector nvidia.com/gpu.present`);
    assert.ok((spec.tolerations ?? []).some((t) => t.key === 'nvidia.com/gpu' && t.effect === 'NoSchedule'), `${s}: no toleration for the nvidia.com/gpu taint`);
    assert.match(siloContainer.image, /silo-cuda/, `${s}: GPU silos run the CUDA image`);
  } else {
    assert.equal(limits['nvidia.com/gpu'], undefined, `${s}: a CPU-pool silo requests no GPU`);
    assert.doesNotMatch(siloContainer.image, /cuda/, `${s}: CPU silos run the plain image`);
  }
  const anti = spec.affinity?.podAntiAffinity;
  const terms = [...(anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []), ...(anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p) => p.podAffinityTerm)];
  assert.ok(terms.some((t) => t.topologyKey === 'kubernetes.io/hostname' && Object.entries(t.labelSelector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v)),
    `${s}: no pod anti-affinity spreading silos over nodes`);
  if (expect.gpu) assert.ok(anti.requiredDuringSchedulingIgnoredDuringExecution, `${s}: one silo per GPU node is required on the GPU pool`);

  // Rolling update that never runs short, and a disruption budget over the silo pods.
  assert.equal(silo.spec.strategy?.rollingUpdate?.maxUnavailable, 0, `${s}: strategy.rollingUpdate.maxUnavailable must be 0`);
  if (silo.spec.replicas > 1) {
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget' && Object.entries(o.spec.selector.matchLabels).every(([k, v]) => labels[k] === v));
    assert.ok(pdb, `${s}: no PodDisruptionBudget selects the silo pods`);
  }

  for (const [object, container, where] of [[silo, siloContainer, s], [gateway, gatewayContainer, g]]) {
    probeChecks(container, where);
    hardening(object, container, where);
  }

  // The gateway listens where its probes and Service look: ASPNETCORE_URLS, not an explicit --urls.
  const gatewayArgs = [...(gatewayContainer.command ?? []), ...(gatewayContainer.args ?? [])];
  assert.ok(!gatewayArgs.includes('--urls'), `${g}: --urls would override ASPNETCORE_URLS`);
  const service = objects.find((o) => o.kind === 'Service' && Object.entries(o.spec.selector ?? {}).every(([k, v]) => podLabelsOf(gateway)[k] === v));
  assert.ok(service, `${g}: no Service selects the gateway pods`);
  assert.ok(service.spec.ports.some((p) => p.targetPort === 'http'), `Service/${service.metadata.name}: no port targets http`);

  // Uploads: an absolute folder on a read-write claim that every silo mounts, read-only, at the same path.
  const uploadDir = gatewayArgs[gatewayArgs.indexOf('--upload-dir') + 1];
  assert.ok(gatewayArgs.includes('--upload-dir') && uploadDir.startsWith('/'), `${g}: --upload-dir must be an absolute path (the root filesystem is read-only)`);
  const gatewayVolume = volumeFor(gateway, gatewayContainer, uploadDir);
  assert.ok(gatewayVolume?.volume?.persistentVolumeClaim, `${g}: --upload-dir ${uploadDir} is not on a mounted claim`);
  assert.notEqual(gatewayVolume.mount.readOnly, true, `${g}: the upload volume is mounted read-only`);
  const siloVolume = volumeFor(silo, siloContainer, uploadDir);
  assert.equal(siloVolume?.volume?.persistentVolumeClaim?.claimName, gatewayVolume.volume.persistentVolumeClaim.claimName, `${s}: does not mount the gateway's upload claim at ${uploadDir}`);
  assert.equal(siloVolume.mount.mountPath, gatewayVolume.mount.mountPath, `${s}: mounts the model claim at another path than the gateway`);

  // API keys: the file the gateway reads lies in a mounted Secret, whose rotation the gateway notices by polling.
  assert.ok(gatewayArgs.includes('--keys-file'), `${g}: no --keys-file`);
  const keysFile = gatewayArgs[gatewayArgs.indexOf('--keys-file') + 1];
  const keysVolume = volumeFor(gateway, gatewayContainer, keysFile);
  assert.ok(keysVolume?.volume?.secret, `${g}: --keys-file ${keysFile} is not in a mounted Secret`);
  assert.equal(keysVolume.mount.subPath, undefined, `${g}: the keys Secret must be mounted without subPath so rotated keys appear`);
  assert.equal(envOf(gatewayContainer, 'DOTNET_USE_POLLING_FILE_WATCHER')?.value, 'true', `${g}: DOTNET_USE_POLLING_FILE_WATCHER must be true (Secret updates arrive as symbolic-link swaps)`);

  return { silo, gateway };
}
