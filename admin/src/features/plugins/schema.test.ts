import { describe, expect, it } from 'vitest';
import { fieldKind, initialValue, labelOf, validate, type Schema } from './schema';

// The example plugins' own schemas (plugins/examples/*/manifest.json).
const keywordGuard: Schema = {
  type: 'object',
  properties: {
    patterns: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, maxItems: 500 },
    reason: { type: 'string', minLength: 1, maxLength: 500 },
  },
  required: ['patterns', 'reason'],
  additionalProperties: false,
};
const piiRedactor: Schema = {
  type: 'object',
  properties: { kinds: { type: 'array', items: { type: 'string', enum: ['email', 'phone', 'card', 'iban'] }, maxItems: 4 } },
  additionalProperties: false,
};
const everything: Schema = {
  type: 'object',
  properties: {
    name: { type: 'string', pattern: '^[a-z]+$', default: 'abc' },
    level: { type: 'integer', minimum: 1, maximum: 5 },
    ratio: { type: 'number', minimum: 0, maximum: 1 },
    on: { type: 'boolean' },
    mode: { type: 'string', enum: ['fast', 'slow'] },
    nested: { type: 'object', properties: { inner: { type: 'string', maxLength: 3 } }, required: ['inner'] },
    numbers: { type: 'array', items: { type: 'integer' } },
  },
};

describe('fieldKind', () => {
  it('maps each schema node to a control', () => {
    const p = everything.properties!;
    expect(fieldKind(p.name!)).toBe('string');
    expect(fieldKind(p.level!)).toBe('integer');
    expect(fieldKind(p.ratio!)).toBe('number');
    expect(fieldKind(p.on!)).toBe('boolean');
    expect(fieldKind(p.mode!)).toBe('enum');
    expect(fieldKind(p.nested!)).toBe('object');
    expect(fieldKind(p.numbers!)).toBe('json');
    expect(fieldKind(keywordGuard.properties!.patterns!)).toBe('string-list');
    expect(fieldKind(piiRedactor.properties!.kinds!)).toBe('enum-set');
  });

  it('labels properties readably', () => {
    expect(labelOf('sql_dialect', {})).toBe('Sql dialect');
    expect(labelOf('maxItems', {})).toBe('Max Items');
    expect(labelOf('x', { title: 'The X' })).toBe('The X');
  });
});

describe('validate', () => {
  it('accepts a valid configuration', () => {
    expect(validate(keywordGuard, { patterns: ['secret*', 'pass?word'], reason: 'No secrets.' })).toEqual([]);
    expect(validate(piiRedactor, {})).toEqual([]);
    expect(validate(piiRedactor, { kinds: ['email', 'iban'] })).toEqual([]);
  });

  it('names missing required settings and unknown ones', () => {
    expect(validate(keywordGuard, { extra: 1 })).toEqual([
      { path: '/patterns', message: 'is required' },
      { path: '/reason', message: 'is required' },
      { path: '/extra', message: '“extra” is not a known setting' },
    ]);
  });

  it('checks lengths in characters, list sizes and items', () => {
    expect(validate(keywordGuard, { patterns: [''], reason: 'x'.repeat(501) })).toEqual([
      { path: '/patterns/0', message: 'must not be empty' },
      { path: '/reason', message: 'must be at most 500 characters' },
    ]);
    // Five characters of four bytes each are five characters.
    expect(validate({ type: 'string', maxLength: 5 }, '😀😀😀😀😀')).toEqual([]);
    expect(validate(piiRedactor, { kinds: ['email', 'fax'] })).toEqual([{ path: '/kinds/1', message: 'must be one of email, phone, card, iban' }]);
    expect(validate(piiRedactor, { kinds: ['email', 'email', 'phone', 'card', 'iban'] })[0]!.message).toBe('takes at most 4 items');
  });

  it('checks numbers, booleans, patterns and nested objects', () => {
    const problems = validate(everything, { name: 'ABC', level: 2.5, ratio: 3, on: 'yes', mode: 'medium', nested: {}, numbers: [1] });
    expect(problems).toEqual([
      { path: '/name', message: 'must match the pattern ^[a-z]+$' },
      { path: '/level', message: 'must be a whole number' },
      { path: '/ratio', message: 'must be at most 1' },
      { path: '/on', message: 'must be yes or no' },
      { path: '/mode', message: 'must be one of fast, slow' },
      { path: '/nested/inner', message: 'is required' },
    ]);
    expect(validate(everything, { level: 0 })).toEqual([{ path: '/level', message: 'must be at least 1' }]);
  });

  it('rejects the wrong type at the root', () => {
    expect(validate(keywordGuard, [])).toEqual([{ path: '', message: 'must be an object, not array' }]);
  });
});

describe('initialValue', () => {
  it('starts from the saved configuration, else from the defaults', () => {
    expect(initialValue(everything, undefined)).toEqual({ name: 'abc', nested: {} });
    const saved = { patterns: ['a'], reason: 'r' };
    const v = initialValue(keywordGuard, saved);
    expect(v).toEqual(saved);
    expect(v).not.toBe(saved);
  });
});
