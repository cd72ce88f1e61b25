// A form generated from a plugin version's `config_schema`: objects become fieldsets, strings text
// fields (or a select for an enum), numbers number fields, booleans checkboxes, lists of strings a
// list editor (or checkboxes for an enum). Anything else is edited as JSON.
import { useState } from 'react';
import { controlId, fieldKind, labelOf, type Json, type Problem, type Schema } from './schema';

interface FieldProps {
  name: string;
  schema: Schema;
  value: Json | undefined;
  onChange: (v: Json | undefined) => void;
  path: string;
  required: boolean;
  problems: Problem[];
  prefix: string;
  readOnly: boolean;
}

export function SchemaForm({
  schema,
  value,
  onChange,
  problems,
  idPrefix = 'cfg',
  readOnly = false,
}: {
  schema: Schema;
  value: Record<string, Json>;
  onChange: (v: Record<string, Json>) => void;
  problems: Problem[];
  idPrefix?: string;
  readOnly?: boolean;
}) {
  const props = Object.entries(schema.properties ?? {});
  if (props.length === 0) return <p className="muted">This plugin has no settings.</p>;
  const rootProblems = problems.filter((p) => p.path === '' || (p.path.split('/').length === 2 && !schema.properties?.[p.path.slice(1)]));
  return (
    <div className="schema-form">
      {props.map(([name, s]) => (
        <Field
          key={name}
          name={name}
          schema={s}
          value={value[name]}
          onChange={(v) => {
            const next = { ...value };
            if (v === undefined) delete next[name];
            else next[name] = v;
            onChange(next);
          }}
          path={`/${name}`}
          required={schema.required?.includes(name) ?? false}
          problems={problems}
          prefix={idPrefix}
          readOnly={readOnly}
        />
      ))}
      {rootProblems.map((p) => <p key={p.path + p.message} className="error">{p.path ? `${p.path.slice(1)} ` : ''}{p.message}</p>)}
    </div>
  );
}

function Hints({ id, schema, problems }: { id: string; schema: Schema; problems: Problem[] }) {
  const hints: string[] = [];
  if (schema.minLength !== undefined && schema.minLength > 1) hints.push(`at least ${schema.minLength} characters`);
  if (schema.maxLength !== undefined) hints.push(`at most ${schema.maxLength} characters`);
  if (schema.minimum !== undefined) hints.push(`from ${schema.minimum}`);
  if (schema.maximum !== undefined) hints.push(`up to ${schema.maximum}`);
  if (schema.maxItems !== undefined) hints.push(`at most ${schema.maxItems} items`);
  return (
    <div id={id} className="field-hints">
      {schema.description && <span className="muted">{schema.description} </span>}
      {hints.length > 0 && <span className="muted">({hints.join(', ')})</span>}
      {problems.map((p) => <span key={p.path + p.message} className="error field-error">{p.message}</span>)}
    </div>
  );
}

function Field(props: FieldProps) {
  const { name, schema, value, onChange, path, required, problems, prefix, readOnly } = props;
  const id = controlId(prefix, path);
  const hintId = `${id}-hint`;
  const mine = problems.filter((p) => p.path === path);
  const label = (
    <>
      {labelOf(name, schema)}
      {required && <span className="required" aria-hidden="true"> *</span>}
      {required && <span className="visually-hidden"> (required)</span>}
    </>
  );
  const aria = {
    'aria-describedby': hintId,
    'aria-invalid': mine.length > 0 || undefined,
    'aria-required': required || undefined,
  } as const;
  const kind = fieldKind(schema);

  switch (kind) {
    case 'object': {
      const obj = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, Json>) : {};
      return (
        <fieldset className="schema-group" aria-describedby={hintId}>
          <legend>{label}</legend>
          <Hints id={hintId} schema={schema} problems={mine} />
          {Object.entries(schema.properties ?? {}).map(([k, s]) => (
            <Field
              key={k}
              {...props}
              name={k}
              schema={s}
              value={obj[k]}
              path={`${path}/${k}`}
              required={schema.required?.includes(k) ?? false}
              onChange={(v) => {
                const next = { ...obj };
                if (v === undefined) delete next[k];
                else next[k] = v;
                onChange(next);
              }}
            />
          ))}
        </fieldset>
      );
    }
    case 'boolean':
      return (
        <div className="field checkbox-field">
          <label htmlFor={id}>
            <input id={id} type="checkbox" checked={value === true} disabled={readOnly} onChange={(e) => onChange(e.target.checked)} {...aria} />
            {label}
          </label>
          <Hints id={hintId} schema={schema} problems={mine} />
        </div>
      );
    case 'enum':
      return (
        <div className="field">
          <label htmlFor={id}>{label}</label>
          <select id={id} value={typeof value === 'string' ? value : ''} disabled={readOnly} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)} {...aria}>
            <option value="">{required ? 'Choose…' : '(not set)'}</option>
            {(schema.enum ?? []).map((o) => <option key={String(o)} value={String(o)}>{String(o)}</option>)}
          </select>
          <Hints id={hintId} schema={schema} problems={mine} />
        </div>
      );
    case 'string': {
      const long = (schema.maxLength ?? 0) > 200;
      const common = {
        id,
        value: typeof value === 'string' ? value : '',
        readOnly,
        onChange: (e: { target: { value: string } }) => onChange(e.target.value === '' && !required ? undefined : e.target.value),
        ...aria,
      };
      return (
        <div className="field">
          <label htmlFor={id}>{label}</label>
          {long ? <textarea rows={4} {...common} /> : <input type="text" {...common} />}
          <Hints id={hintId} schema={schema} problems={mine} />
        </div>
      );
    }
    case 'number':
    case 'integer':
      return (
        <div className="field">
          <label htmlFor={id}>{label}</label>
          <NumberInput id={id} value={value} integer={kind === 'integer'} schema={schema} readOnly={readOnly} onChange={onChange} aria={aria} />
          <Hints id={hintId} schema={schema} problems={mine} />
        </div>
      );
    case 'enum-set': {
      const chosen = Array.isArray(value) ? value : [];
      return (
        <fieldset className="field schema-group" aria-describedby={hintId}>
          <legend>{label}</legend>
          <div className="checkbox-row">
            {(schema.items?.enum ?? []).map((o) => (
              <label key={String(o)} className="inline">
                <input
                  type="checkbox"
                  disabled={readOnly}
                  checked={chosen.includes(o)}
                  onChange={(e) => {
                    const next = e.target.checked ? [...chosen, o] : chosen.filter((x) => x !== o);
                    onChange(next.length === 0 && !required ? undefined : next);
                  }}
                />
                {String(o)}
              </label>
            ))}
          </div>
          <Hints id={hintId} schema={schema} problems={mine} />
        </fieldset>
      );
    }
    case 'string-list': {
      const items = Array.isArray(value) ? value.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : [];
      const set = (next: string[]) => onChange(next.length === 0 && !required ? undefined : next);
      const title = labelOf(name, schema);
      return (
        <fieldset className="field schema-group" aria-describedby={hintId}>
          <legend>{label}</legend>
          {items.length === 0 && <p className="muted small">No items yet.</p>}
          <ol className="string-list">
            {items.map((item, i) => {
              const itemPath = `${path}/${i}`;
              const itemId = controlId(prefix, itemPath);
              const itemProblems = problems.filter((p) => p.path === itemPath);
              return (
                <li key={i}>
                  <label htmlFor={itemId} className="visually-hidden">{title}, item {i + 1}</label>
                  <input
                    id={itemId}
                    type="text"
                    value={item}
                    readOnly={readOnly}
                    aria-invalid={itemProblems.length > 0 || undefined}
                    onChange={(e) => set(items.map((x, j) => (j === i ? e.target.value : x)))}
                  />
                  {!readOnly && (
                    <button type="button" className="ghost small" aria-label={`Remove ${title} item ${i + 1}`} onClick={() => set(items.filter((_, j) => j !== i))}>Remove</button>
                  )}
                  {itemProblems.map((p) => <span key={p.message} className="error field-error">{p.message}</span>)}
                </li>
              );
            })}
          </ol>
          {!readOnly && (
            <button type="button" className="ghost small" onClick={() => onChange([...items, ''])}>Add {title.toLowerCase()} item</button>
          )}
          <Hints id={hintId} schema={schema} problems={mine} />
        </fieldset>
      );
    }
    default:
      return (
        <div className="field">
          <label htmlFor={id}>{label} (JSON)</label>
          <JsonInput id={id} value={value} readOnly={readOnly} onChange={onChange} aria={aria} />
          <Hints id={hintId} schema={schema} problems={mine} />
        </div>
      );
  }
}

type Aria = Record<string, string | boolean | undefined>;

function NumberInput({ id, value, integer, schema, readOnly, onChange, aria }: { id: string; value: Json | undefined; integer: boolean; schema: Schema; readOnly: boolean; onChange: (v: Json | undefined) => void; aria: Aria }) {
  const [text, setText] = useState(typeof value === 'number' ? String(value) : '');
  return (
    <input
      id={id}
      type="number"
      inputMode={integer ? 'numeric' : 'decimal'}
      step={integer ? 1 : 'any'}
      min={schema.minimum}
      max={schema.maximum}
      value={text}
      readOnly={readOnly}
      onChange={(e) => {
        setText(e.target.value);
        const t = e.target.value.trim();
        onChange(t === '' ? undefined : Number(t));
      }}
      {...aria}
    />
  );
}

function JsonInput({ id, value, readOnly, onChange, aria }: { id: string; value: Json | undefined; readOnly: boolean; onChange: (v: Json | undefined) => void; aria: Aria }) {
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value, null, 2));
  const [bad, setBad] = useState(false);
  return (
    <>
      <textarea
        id={id}
        rows={3}
        className="mono"
        value={text}
        readOnly={readOnly}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim() === '') {
            setBad(false);
            onChange(undefined);
            return;
          }
          try {
            onChange(JSON.parse(e.target.value) as Json);
            setBad(false);
          } catch {
            setBad(true);
          }
        }}
        {...aria}
      />
      {bad && <span className="error field-error">This is not valid JSON yet.</span>}
    </>
  );
}
