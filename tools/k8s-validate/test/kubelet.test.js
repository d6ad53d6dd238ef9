// The kubelet's rules that lib/pod.js reproduces: $(VAR) expansion and the order in which env entries see each other.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerEnv, expand, portNumber } from '../lib/pod.js';

test('$(VAR) expands defined variables, $$ escapes, unknown references stay as written', () => {
  assert.equal(expand('$(A)-$$(A)-$(B)-$A', { A: 'x' }), 'x-$(A)-$(B)-$A');
});

test('env: envFrom first, then env in order; a value sees only what was defined before it; refs filled in', () => {
  const objects = [
    { kind: 'ConfigMap', metadata: { name: 'cm' }, data: { FROM_MAP: 'm', LATE: 'from-map' } },
    { kind: 'Secret', metadata: { name: 's' }, data: { pw: Buffer.from('p4ss').toString('base64') } },
  ];
  const container = {
    name: 'c',
    envFrom: [{ configMapRef: { name: 'cm' } }],
    env: [
      { name: 'EARLY', value: '$(LATE)|$(POD_IP)' },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 's', key: 'pw' } } },
      { name: 'URL', value: 'redis:6379,password=$(PW),ip=$(POD_IP)' },
      { name: 'LATE', value: 'from-env' },
    ],
  };
  const env = containerEnv(container, { name: 'p-0', namespace: 'ns', ip: '127.0.0.9' }, objects);
  assert.deepEqual(env, {
    FROM_MAP: 'm',
    LATE: 'from-env',
    EARLY: 'from-map|$(POD_IP)',
    POD_IP: '127.0.0.9',
    PW: 'p4ss',
    URL: 'redis:6379,password=p4ss,ip=127.0.0.9',
  });
  assert.throws(() => containerEnv({ name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'nope' } } }] }, {}, objects), /Secret s has no key nope/);
  assert.throws(() => containerEnv({ name: 'c', envFrom: [{ secretRef: { name: 'absent' } }] }, {}, objects), /Secret absent is referenced but not rendered/);
  assert.equal(portNumber({ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }, 'http'), 8080);
  assert.throws(() => portNumber({ name: 'c', ports: [] }, 'http'), /no container port named http/);
});
