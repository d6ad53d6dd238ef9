// The images' entry points (deploy/Dockerfile.*; dockerfiles.test.js checks they match) and what runs each of them
// on this machine: dotnet exec of the built dll instead of the published apphost, redis-server on the pod address,
// wget (the helm test pod's busybox) as itself.
import path from 'node:path';
import { repoRoot } from './render.js';

export const siloDll = path.join(repoRoot, 'src/Silo/bin/Release/net10.0/OrleansUws.Silo.dll');
export const gatewayDll = path.join(repoRoot, 'src/Coordinator/bin/Release/net10.0/uws.dll');

/** command[0] in a manifest → (pod, container) => the local command line that stands in for it. */
export const entrypoints = {
  '/app/OrleansUws.Silo': () => ['dotnet', 'exec', siloDll],
  '/app/uws': () => ['dotnet', 'exec', gatewayDll],
  'redis-server': (pod) => ['redis-server', '--bind', pod.ip],
  wget: () => ['wget'],
};
