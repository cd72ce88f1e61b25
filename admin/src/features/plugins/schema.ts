// The plugin configuration schema (the subset of JSON Schema the server enforces: see
// plugins/host/src/schema.rs) read as form fields, and the same checks the server makes, run
// before saving so the admin sees the problem next to the field.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface Schema {
  type?: string;
  title?: string;
  description?: string;
  default?: Json;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: Json[];
  minimum?: number;
  maximum?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
}

/** One problem: the JSON pointer of the value at fault ('' for the whole) and what is wrong. */
export interface Problem {
  path: string;
  message: string;
}

export function asSchema(raw: unknown): Schema | null {
  return raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Schema) : null;
}

/** The kind of control a schema node gets. */
export type FieldKind = 'object' | 'string' | 'enum' | 'number' | 'integer' | 'boolean' | 'string-list' | 'enum-set' | 'json';

export function fieldKind(schema: Schema): FieldKind {
  switch (schema.type) {
    case 'object':
      return 'object';
    case 'string':
      return Array.isArray(schema.enum) ? 'enum' : 'string';
    case 'number':
      return 'number';
    case 'integer':
      return 'integer';
    case 'boolean':
      return 'boolean';
    case 'array': {
      const items = schema.items;
      if (!items || items.type === 'string') return Array.isArray(items?.enum) ? 'enum-set' : 'string-list';
      return 'json';
    }
    default:
      return 'json';
  }
}

/** A readable label for a property: its title, or its name with words spaced. */
export function labelOf(name: string, schema: Schema): string {
  if (schema.title) return schema.title;
  const words = name.replace(/[_-]+/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The starting value of a form: the saved configuration, or the schema's defaults. */
export function initialValue(schema: Schema, saved: unknown): Record<string, Json> {
  if (saved && typeof saved === 'object' && !Array.isArray(saved)) return structuredClone(saved as Record<string, Json>);
  const out: Record<string, Json> = {};
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    if (s.default !== undefined) out[k] = structuredClone(s.default);
    else if (s.type === 'object') out[k] = initialValue(s, undefined);
  }
  return out;
}

const pointer = (path: string, key: string | number) => `${path}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
const chars = (s: string) => Array.from(s).length;
const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Every problem of `value` against `schema`, as the server would find them. */
export function validate(schema: Schema, value: unknown, path = ''): Problem[] {
  const problems: Problem[] = [];
  const bad = (message: string, at = path) => problems.push({ path: at, message });
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        bad(`must be an object, not ${typeName(value)}`);
        break;
      }
      const obj = value as Record<string, unknown>;
      const props = schema.properties ?? {};
      for (const key of schema.required ?? []) {
        if (obj[key] === undefined) bad('is required', pointer(path, key));
      }
      for (const [key, v] of Object.entries(obj)) {
        if (v === undefined) continue;
        const s = props[key];
        if (s) problems.push(...validate(s, v, pointer(path, key)));
        else if (schema.additionalProperties === false) bad(`“${key}” is not a known setting`, pointer(path, key));
      }
      break;
    }
    case 'string': {
      if (typeof value !== 'string') {
        bad(`must be text, not ${typeName(value)}`);
        break;
      }
      if (schema.minLength !== undefined && chars(value) < schema.minLength) {
        bad(schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters`);
      }
      if (schema.maxLength !== undefined && chars(value) > schema.maxLength) bad(`must be at most ${schema.maxLength} characters`);
      if (schema.pattern !== undefined) {
        let re: RegExp | null = null;
        try {
          re = new RegExp(schema.pattern, 'u');
        } catch {
          re = null; // a Rust-only regex: the server checks it
        }
        if (re && !re.test(value)) bad(`must match the pattern ${schema.pattern}`);
      }
      if (Array.isArray(schema.enum) && !schema.enum.includes(value)) bad(`must be one of ${schema.enum.join(', ')}`);
      break;
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        bad('must be a number');
        break;
      }
      if (schema.type === 'integer' && !Number.isInteger(value)) bad('must be a whole number');
      if (schema.minimum !== undefined && value < schema.minimum) bad(`must be at least ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum) bad(`must be at most ${schema.maximum}`);
      break;
    }
    case 'boolean':
      if (typeof value !== 'boolean') bad('must be yes or no');
      break;
    case 'array': {
      if (!Array.isArray(value)) {
        bad(`must be a list, not ${typeName(value)}`);
        break;
      }
      if (schema.minItems !== undefined && value.length < schema.minItems) bad(`needs at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems) bad(`takes at most ${schema.maxItems} items`);
      if (schema.items) value.forEach((item, i) => problems.push(...validate(schema.items!, item, pointer(path, i))));
      break;
    }
    default:
      break;
  }
  return problems;
}

/** An id for the control of the value at `path` (stable, valid in a URL fragment). */
export function controlId(prefix: string, path: string): string {
  return `${prefix}${path.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
}
