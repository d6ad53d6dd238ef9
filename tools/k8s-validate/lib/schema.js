// Schema checks: every rendered object against the Kubernetes OpenAPI schemas of kubernetes-models (and the
// Prometheus Operator's for ServiceMonitor), and the chart's merged values against values.schema.json.
import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chartDir } from './render.js';

/** The module that models an apiVersion/kind, e.g. apps/v1 Deployment → kubernetes-models/apps/v1/Deployment. */
function modelModule(apiVersion, kind) {
  if (apiVersion.startsWith('monitoring.coreos.com/')) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  }
  return `kubernetes-models/${apiVersion}/${kind}`;
}

/**
 * Validates one object with its model's validate(); throws naming the object and every schema violation.
 * An object whose kind no model knows fails too: nothing goes unchecked.
 */
export async function validateObject(object) {
  const where = `${object.kind ?? '?'}/${object.metadata?.name ?? '?'}`;
  if (!object.apiVersion || !object.kind) throw new Error(`${where}: apiVersion and kind are required`);
  let module;
  try {
    module = await import(modelModule(object.apiVersion, object.kind));
  } catch (error) {
    throw new Error(`${where}: no schema for ${object.apiVersion} ${object.kind} (${error.code ?? error.message})`);
  }
  const Model = module[object.kind] ?? module.default;
  try {
    new Model(object).validate();
  } catch (error) {
    throw new Error(`${where}: ${error.message}`);
  }
}

let schemaValidator;
/** Validates merged chart values against helm/orleans-uws/values.schema.json; returns the error texts. */
export function valuesSchemaErrors(values) {
  if (!schemaValidator) {
    const schema = JSON.parse(readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8'));
    schemaValidator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  return schemaValidator(values) ? [] : schemaValidator.errors.map((e) => `${e.instancePath || '/'} ${e.message}`);
}
