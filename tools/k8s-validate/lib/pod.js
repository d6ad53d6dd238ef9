// Runs what a rendered pod would run, on loopback, the way the kubelet would start it: the container's command and
// args with its environment (envFrom, then env; fieldRef, secretKeyRef and configMapKeyRef filled in; $(VAR)
// expanded), its volumes as folders, then its startup, readiness and liveness probes on the ports it names.
//
// What stands in for the cluster, each mapping explicit:
// - each pod gets its own loopback address (127.0.0.N) as status.podIP; a wildcard listen address in a URL
//   ("http://+:8080") becomes that address, since servers here bind loopback only;
// - a Service name "NAME:PORT" in an env value or argument becomes the address and target port of the pod it selects
//   (cluster DNS plus kube-proxy);
// - an image's entry point (the container's command[0]) becomes a local executable through `entrypoints`
//   (dotnet exec of the built dll instead of the published apphost);
// - a PersistentVolumeClaim is one folder shared by every pod that mounts it, an emptyDir a folder of its own,
//   a Secret or ConfigMap volume a folder holding its keys as files; mount paths in env values and args are mapped.
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { podSpecOf, podLabelsOf } from './render.js';

/** A free TCP port on a loopback address. */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Whether a TCP port can be bound on a loopback address. */
export function isFree(host, port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function secretData(secret) {
  const data = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, 'base64').toString('utf8');
  Object.assign(data, secret.stringData ?? {});
  return data;
}

function lookup(objects, kind, name) {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!found) throw new Error(`${kind} ${name} is referenced but not rendered`);
  return kind === 'Secret' ? secretData(found) : found.data ?? {};
}

/** Kubelet's $(VAR) expansion: defined variables are replaced, $$ escapes, unknown references stay as written. */
export function expand(text, vars) {
  return String(text).replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name) => {
    if (match === '$$') return '$';
    return Object.hasOwn(vars, name) ? vars[name] : match;
  });
}

/** A container's environment as the kubelet builds it. */
export function containerEnv(container, pod, objects) {
  const vars = {};
  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? '';
    const data = source.configMapRef ? lookup(objects, 'ConfigMap', source.configMapRef.name) : lookup(objects, 'Secret', source.secretRef.name);
    for (const [k, v] of Object.entries(data)) vars[prefix + k] = v;
  }
  for (const entry of container.env ?? []) {
    if (entry.valueFrom === undefined) {
      vars[entry.name] = expand(entry.value ?? '', vars);
    } else if (entry.valueFrom.fieldRef) {
      const field = entry.valueFrom.fieldRef.fieldPath;
      const fields = { 'metadata.name': pod.name, 'metadata.namespace': pod.namespace, 'status.podIP': pod.ip, 'status.hostIP': '127.0.0.1', 'spec.nodeName': 'node-0' };
      if (!(field in fields)) throw new Error(`${container.name}: env ${entry.name}: fieldRef ${field} is not filled in by this runner`);
      vars[entry.name] = fields[field];
    } else if (entry.valueFrom.secretKeyRef) {
      const { name, key } = entry.valueFrom.secretKeyRef;
      const value = lookup(objects, 'Secret', name)[key];
      if (value === undefined) throw new Error(`${container.name}: env ${entry.name}: Secret ${name} has no key ${key}`);
      vars[entry.name] = value;
    } else if (entry.valueFrom.configMapKeyRef) {
      const { name, key } = entry.valueFrom.configMapKeyRef;
      const value = lookup(objects, 'ConfigMap', name)[key];
      if (value === undefined) throw new Error(`${container.name}: env ${entry.name}: ConfigMap ${name} has no key ${key}`);
      vars[entry.name] = value;
    } else {
      throw new Error(`${container.name}: env ${entry.name}: unsupported valueFrom ${Object.keys(entry.valueFrom)}`);
    }
  }
  return vars;
}

/** Resolves a probe's or Service's port (a number or a container port's name). */
export function portNumber(container, port) {
  if (typeof port === 'number') return port;
  const named = (container.ports ?? []).find((p) => p.name === port);
  if (!named) throw new Error(`${container.name}: no container port named ${port}`);
  return named.containerPort;
}

function selects(selector, labels) {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/**
 * Plans the pods of the given workloads: their addresses, volumes, environment, command lines and probes.
 * `workloads`: [{ object, ip }]. `root`: a scratch folder. `entrypoints`: command[0] → [executable, ...prefix args].
 */
export function planPods({ objects, workloads, root, namespace, entrypoints }) {
  const claims = new Map();
  const pods = workloads.map(({ object, ip }) => ({ object, ip, name: `${object.metadata.name}-0`, namespace, spec: podSpecOf(object), labels: podLabelsOf(object) }));

  // Services → the pod they select (cluster DNS + kube-proxy), as "name:port" → "ip:targetPort".
  const serviceMap = [];
  for (const service of objects.filter((o) => o.kind === 'Service')) {
    const target = pods.find((p) => selects(service.spec.selector, p.labels));
    if (!target) continue;
    for (const port of service.spec.ports ?? []) {
      const container = target.spec.containers.find((c) => (c.ports ?? []).some((p) => p.name === port.targetPort || p.containerPort === port.targetPort)) ?? target.spec.containers[0];
      serviceMap.push([`${service.metadata.name}:${port.port}`, `${target.ip}:${portNumber(container, port.targetPort ?? port.port)}`]);
    }
  }

  for (const pod of pods) {
    const podDir = path.join(root, pod.name);
    const volumes = new Map();
    for (const volume of pod.spec.volumes ?? []) {
      let dir;
      if (volume.persistentVolumeClaim) {
        const claim = volume.persistentVolumeClaim.claimName;
        if (!claims.has(claim)) claims.set(claim, path.join(root, 'pvc', claim));
        dir = claims.get(claim);
        mkdirSync(dir, { recursive: true });
      } else if (volume.emptyDir) {
        dir = path.join(podDir, 'volumes', volume.name);
        mkdirSync(dir, { recursive: true });
      } else if (volume.secret || volume.configMap) {
        dir = path.join(podDir, 'volumes', volume.name);
        mkdirSync(dir, { recursive: true });
        const data = volume.secret ? lookup(objects, 'Secret', volume.secret.secretName) : lookup(objects, 'ConfigMap', volume.configMap.name);
        for (const [k, v] of Object.entries(data)) writeFileSync(path.join(dir, k), v);
      } else {
        throw new Error(`${pod.name}: volume ${volume.name} of an unsupported type`);
      }
      volumes.set(volume.name, dir);
    }
    // A volume claim template (StatefulSet) is a folder of this pod.
    for (const template of pod.object.spec.volumeClaimTemplates ?? []) {
      const dir = path.join(podDir, 'volumes', template.metadata.name);
      mkdirSync(dir, { recursive: true });
      volumes.set(template.metadata.name, dir);
    }
    pod.containers = pod.spec.containers.map((container) => {
      const mounts = (container.volumeMounts ?? []).map((m) => [m.mountPath.replace(/\/$/, ''), path.join(volumes.get(m.name), m.subPath ?? '')]);
      mounts.sort((a, b) => b[0].length - a[0].length);
      const map = (text) => {
        let out = String(text);
        for (const [mountPath, dir] of mounts) {
          if (out === mountPath || out.startsWith(`${mountPath}/`)) {
            out = dir + out.slice(mountPath.length);
            break;
          }
        }
        out = out.replace(/:\/\/(\+|\*|0\.0\.0\.0|\[::\]):/g, `://${pod.ip}:`);
        for (const [from, to] of serviceMap) out = out.split(from).join(to);
        return out;
      };
      const env = containerEnv(container, pod, objects);
      for (const k of Object.keys(env)) env[k] = map(env[k]);
      const argv = [...(container.command ?? []), ...(container.args ?? [])].map((a) => map(expand(a, env)));
      if (argv.length === 0) throw new Error(`${pod.name}/${container.name}: no command; name the image's entry point in the manifest`);
      const entry = entrypoints[argv[0]];
      if (!entry) throw new Error(`${pod.name}/${container.name}: no local stand-in for the image entry point ${argv[0]}`);
      const workDir = path.join(podDir, 'workdir');
      mkdirSync(workDir, { recursive: true });
      return { container, env, argv: [...entry(pod, container, mounts), ...argv.slice(1)], mounts, workDir, pod };
    });
  }
  return pods;
}

/** Starts a planned container as a child process; its output goes to a log file (and its last 64 KiB to `output`). */
export function startContainer(planned, logDir) {
  mkdirSync(logDir, { recursive: true });
  const log = path.join(logDir, `${planned.pod.name}.${planned.container.name}.log`);
  const out = createWriteStream(log);
  const base = { PATH: process.env.PATH, HOME: planned.workDir, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' };
  const child = spawn(planned.argv[0], planned.argv.slice(1), { cwd: planned.workDir, env: { ...base, ...planned.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const started = { child, log, planned, exit: null, output: '' };
  const keep = (chunk) => { started.output = (started.output + chunk).slice(-65536); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  // 'close': the process has exited and its output has been read to the end.
  started.exited = new Promise((resolve) => child.once('close', (code, signal) => {
    started.exit = { code, signal };
    resolve(started.exit);
  }));
  return started;
}

/** Runs one probe once: true when it succeeds as the kubelet would judge it. */
export async function probeOnce(planned, probe) {
  const { container, pod, env } = planned;
  if (probe.httpGet) {
    const port = portNumber(container, probe.httpGet.port);
    try {
      const response = await fetch(`http://${pod.ip}:${port}${probe.httpGet.path ?? '/'}`, { signal: AbortSignal.timeout((probe.timeoutSeconds ?? 1) * 1000 + 2000) });
      await response.arrayBuffer();
      return response.status >= 200 && response.status < 400;
    } catch {
      return false;
    }
  }
  if (probe.tcpSocket) {
    const port = portNumber(container, probe.tcpSocket.port);
    return new Promise((resolve) => {
      const socket = net.connect({ host: pod.ip, port }, () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
  }
  if (probe.exec) {
    // Inside the pod a client reaches its own server at localhost; here that server listens on the pod's address.
    const [command, ...args] = probe.exec.command;
    const argv = command === 'redis-cli' ? ['-h', pod.ip, ...args] : args;
    try {
      const output = execFileSync(command, argv, { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
      return command !== 'redis-cli' || output.trim() === 'PONG';
    } catch {
      return false;
    }
  }
  throw new Error(`${container.name}: unsupported probe ${Object.keys(probe)}`);
}

/** Polls a probe until it succeeds or `timeoutMs` passes (faster than its period, to keep the test short). */
export async function waitForProbe(started, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (started.exit !== null) return false;
    if (await probeOnce(started.planned, probe)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
