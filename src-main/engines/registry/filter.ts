/**
 * MLflow's search filter and order_by grammar, parsed into an AST by a real tokenizer and a
 * recursive-descent parser (the SQLite store compiles the AST to parameterized SQL in sqlite/search-sql.ts).
 *
 *   filter     := comparison (AND comparison)*
 *   comparison := identifier op value | identifier IS [NOT] NULL | identifier [NOT] IN '(' string (',' string)* ')'
 *   identifier := [entity '.'] key          entity: metric(s) | param(s) | parameter(s) | tag(s) | attribute(s) | attr | run
 *   key        := word ('.' word)* | `quoted` | "quoted"
 *   value      := number | 'string' | "string"
 *
 * Rules follow MLflow's: metrics and numeric attributes compare with numbers only (=, !=, <, <=, >, >=);
 * params, tags and string attributes with quoted strings (=, !=, LIKE, ILIKE); a bare identifier is an
 * attribute. Beyond MLflow (which allows lists only for run_id), IN / NOT IN work on every string
 * attribute, tag and param. OR is not part of MLflow's grammar and is refused.
 *
 * Every error is INVALID_PARAMETER_VALUE with the 0-based position of the offending token in the message
 * and a caret line under the filter in details.caret.
 */
import { AppError } from '../../platform/errors.js';

export type SearchKind = 'runs' | 'experiments' | 'models' | 'versions';
export type Entity = 'metric' | 'param' | 'tag' | 'attribute';
export type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | 'IS NULL' | 'IS NOT NULL';

export interface Comparison {
  entity: Entity;
  /** The key as stored: quotes removed, attribute aliases resolved (created → start_time). */
  key: string;
  op: Op;
  /** number for numeric comparisons, string for string ones, string[] for IN, null for IS [NOT] NULL. */
  value: number | string | string[] | null;
  /** 0-based offset of the identifier in the filter. */
  position: number;
}

export interface OrderBy {
  entity: Entity;
  key: string;
  ascending: boolean;
}

// ---------- what each search accepts ----------

interface KindRules {
  entities: readonly Entity[];
  stringAttributes: readonly string[];
  numericAttributes: readonly string[];
  orderAttributes: readonly string[];
  /** Comparators allowed on tags (MLflow's registry allows fewer than runs). */
  tagOps: readonly Op[];
  aliases: Readonly<Record<string, string>>;
}

const NUMERIC_OPS: readonly Op[] = ['=', '!=', '<', '<=', '>', '>='];
const STRING_OPS: readonly Op[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
const NULL_OPS: readonly Op[] = ['IS NULL', 'IS NOT NULL'];

const RULES: Record<SearchKind, KindRules> = {
  runs: {
    entities: ['metric', 'param', 'tag', 'attribute'],
    stringAttributes: ['run_id', 'run_name', 'status', 'user_id', 'artifact_uri'],
    numericAttributes: ['start_time', 'end_time'],
    orderAttributes: ['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'start_time', 'end_time'],
    tagOps: [...STRING_OPS, ...NULL_OPS],
    aliases: { created: 'start_time', Created: 'start_time', 'run name': 'run_name', 'Run name': 'run_name', 'Run Name': 'run_name' },
  },
  experiments: {
    entities: ['tag', 'attribute'],
    stringAttributes: ['name', 'experiment_id'],
    numericAttributes: ['creation_time', 'last_update_time'],
    orderAttributes: ['name', 'experiment_id', 'creation_time', 'last_update_time'],
    tagOps: [...STRING_OPS, ...NULL_OPS],
    aliases: {},
  },
  models: {
    entities: ['tag', 'attribute'],
    stringAttributes: ['name'],
    numericAttributes: [],
    orderAttributes: ['name', 'creation_timestamp', 'last_updated_timestamp'],
    tagOps: STRING_OPS,
    aliases: { timestamp: 'creation_timestamp' },
  },
  versions: {
    entities: ['tag', 'attribute'],
    stringAttributes: ['name', 'run_id', 'source_path'],
    numericAttributes: ['version_number'],
    orderAttributes: ['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'],
    tagOps: STRING_OPS,
    aliases: { timestamp: 'creation_timestamp' },
  },
};

const ENTITY_NAMES: Record<string, Entity> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
};

// ---------- tokens ----------

type TokenType = 'word' | 'quoted_key' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma' | 'dot' | 'end';

interface Token {
  type: TokenType;
  /** Unquoted text for strings and quoted keys; the operator for ops; the raw text otherwise. */
  text: string;
  raw: string;
  pos: number;
}

/**
 * A value as a quoted literal of the filter grammar, for filters the app builds itself (e.g. all versions
 * of a model by name): quotes doubled and backslashes escaped, so any name reads back as itself.
 */
export function filterLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** INVALID_PARAMETER_VALUE pointing at `pos` in `source`. */
export function filterError(source: string, pos: number, problem: string, what = 'filter'): AppError {
  const caret = `${source}\n${' '.repeat(Math.max(0, pos))}^`;
  return new AppError('INVALID_PARAMETER_VALUE', `invalid ${what} at position ${pos}: ${problem}`, { [what === 'filter' ? 'filter' : 'order_by']: source, position: pos, caret });
}

const WORD_START = /[A-Za-z_]/;
const WORD_CHAR = /[A-Za-z0-9_\-:/]/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/;

function readQuoted(src: string, start: number, quote: string, what: string): { text: string; end: number } {
  let text = '';
  let i = start + 1;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\' && i + 1 < src.length) {
      text += src[i + 1];
      i += 2;
    } else if (c === quote && src[i + 1] === quote) {
      text += quote;
      i += 2;
    } else if (c === quote) {
      return { text, end: i + 1 };
    } else {
      text += c;
      i++;
    }
  }
  throw filterError(src, start, `unterminated ${what} starting with ${quote}`);
}

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (type: TokenType, text: string, end: number): void => {
    tokens.push({ type, text, raw: src.slice(i, end), pos: i });
    i = end;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      const q = readQuoted(src, i, c, 'string');
      // A double-quoted token right after a dot is a key (tags."my key"), elsewhere a value, as in MLflow.
      push(c === '"' && tokens.at(-1)?.type === 'dot' ? 'quoted_key' : 'string', q.text, q.end);
    } else if (c === '`') {
      const q = readQuoted(src, i, '`', 'quoted key');
      push('quoted_key', q.text, q.end);
    } else if (c === '(') push('lparen', '(', i + 1);
    else if (c === ')') push('rparen', ')', i + 1);
    else if (c === ',') push('comma', ',', i + 1);
    else if (c === '.' && !/\d/.test(src[i + 1] ?? '')) push('dot', '.', i + 1);
    else if (c === '!' && src[i + 1] === '=') push('op', '!=', i + 2);
    else if (c === '<' && src[i + 1] === '>') push('op', '!=', i + 2);
    else if ((c === '<' || c === '>') && src[i + 1] === '=') push('op', `${c}=`, i + 2);
    else if (c === '<' || c === '>') push('op', c, i + 1);
    else if (c === '=' && src[i + 1] === '=') push('op', '=', i + 2);
    else if (c === '=') push('op', '=', i + 1);
    else if (/[\d.+-]/.test(c) && NUMBER.test(src.slice(i))) {
      const m = NUMBER.exec(src.slice(i))!;
      push('number', m[0], i + m[0].length);
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < src.length && WORD_CHAR.test(src[j]!)) j++;
      push('word', src.slice(i, j), j);
    } else {
      throw filterError(src, i, `unexpected character '${c}'`);
    }
  }
  tokens.push({ type: 'end', text: '', raw: '', pos: src.length });
  return tokens;
}

// ---------- parser ----------

const isKeyword = (t: Token, kw: string): boolean => t.type === 'word' && t.text.toUpperCase() === kw;
const shown = (t: Token): string => (t.type === 'end' ? 'the end of the filter' : `'${t.raw}'`);

class Parser {
  private i = 0;
  constructor(
    private readonly src: string,
    private readonly tokens: Token[],
    private readonly rules: KindRules,
    private readonly what: 'filter' | 'order_by',
  ) {}

  private get t(): Token {
    return this.tokens[this.i]!;
  }
  private next(): Token {
    return this.tokens[this.i++]!;
  }
  fail(pos: number, problem: string): AppError {
    return filterError(this.src, pos, problem, this.what);
  }
  atEnd(): boolean {
    return this.t.type === 'end';
  }
  peek(): Token {
    return this.t;
  }

  filter(): Comparison[] {
    const out = [this.comparison()];
    while (!this.atEnd()) {
      const t = this.next();
      if (isKeyword(t, 'OR')) throw this.fail(t.pos, "OR is not supported; MLflow filters combine comparisons with AND only");
      if (!isKeyword(t, 'AND')) throw this.fail(t.pos, `expected AND or the end of the filter, got ${shown(t)}`);
      out.push(this.comparison());
    }
    return out;
  }

  /** [entity.]key, returning the resolved entity and key. */
  identifier(): { entity: Entity; key: string; pos: number } {
    const first = this.next();
    if (first.type !== 'word' && first.type !== 'quoted_key') {
      throw this.fail(first.pos, `expected an identifier such as metrics.rmse, params.model or attributes.status, got ${shown(first)}`);
    }
    let entity: Entity = 'attribute';
    let keyTok = first;
    if (this.t.type === 'dot') {
      const name = first.text;
      const e = ENTITY_NAMES[name];
      if (!e) {
        throw this.fail(first.pos, `unknown entity '${name}'; expected one of ${this.entityList()}`);
      }
      if (!this.rules.entities.includes(e)) throw this.fail(first.pos, `'${name}' cannot be used here; expected one of ${this.entityList()}`);
      entity = e;
      this.next();
      keyTok = this.next();
      if (keyTok.type !== 'word' && keyTok.type !== 'quoted_key') throw this.fail(keyTok.pos, `expected a key after '${name}.', got ${shown(keyTok)}`);
    }
    let key = keyTok.text;
    // Unquoted keys may contain dots (tags.mlflow.runName), as MLflow splits on the first dot only.
    if (keyTok.type === 'word') {
      while (this.t.type === 'dot' && this.tokens[this.i + 1]?.type === 'word') {
        this.next();
        key += `.${this.next().text}`;
      }
    }
    if (key === '') throw this.fail(keyTok.pos, 'empty key');
    if (entity === 'attribute') key = this.attributeKey(key, keyTok.pos);
    return { entity, key, pos: first.pos };
  }

  private entityList(): string {
    const names: Record<Entity, string> = { metric: 'metrics', param: 'params', tag: 'tags', attribute: 'attributes' };
    return this.rules.entities.map((e) => names[e]).join(', ');
  }

  private attributeKey(key: string, pos: number): string {
    const k = this.rules.aliases[key] ?? key;
    const valid = this.what === 'order_by' ? this.rules.orderAttributes : [...this.rules.stringAttributes, ...this.rules.numericAttributes];
    if (!valid.includes(k)) throw this.fail(pos, `unknown attribute '${key}'; expected one of ${valid.join(', ')}`);
    return k;
  }

  private isNumeric(entity: Entity, key: string): boolean {
    return entity === 'metric' || (entity === 'attribute' && this.rules.numericAttributes.includes(key));
  }

  private allowedOps(entity: Entity, key: string): readonly Op[] {
    if (this.isNumeric(entity, key)) return NUMERIC_OPS;
    if (entity === 'tag') return this.rules.tagOps;
    if (entity === 'param') return [...STRING_OPS, ...NULL_OPS];
    return STRING_OPS;
  }

  private operator(): { op: Op; pos: number } {
    const t = this.next();
    if (t.type === 'op') return { op: t.text as Op, pos: t.pos };
    if (isKeyword(t, 'LIKE')) return { op: 'LIKE', pos: t.pos };
    if (isKeyword(t, 'ILIKE')) return { op: 'ILIKE', pos: t.pos };
    if (isKeyword(t, 'IN')) return { op: 'IN', pos: t.pos };
    if (isKeyword(t, 'NOT')) {
      const n = this.next();
      if (isKeyword(n, 'IN')) return { op: 'NOT IN', pos: t.pos };
      throw this.fail(n.pos, `expected IN after NOT, got ${shown(n)}`);
    }
    if (isKeyword(t, 'IS')) {
      const n = this.next();
      if (isKeyword(n, 'NULL')) return { op: 'IS NULL', pos: t.pos };
      if (isKeyword(n, 'NOT') && isKeyword(this.t, 'NULL')) {
        this.next();
        return { op: 'IS NOT NULL', pos: t.pos };
      }
      throw this.fail(n.pos, `expected NULL or NOT NULL after IS, got ${shown(n)}`);
    }
    throw this.fail(t.pos, `expected a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS NULL), got ${shown(t)}`);
  }

  comparison(): Comparison {
    const { pos, ...id } = this.identifier();
    const { op, pos: opPos } = this.operator();
    const label = id.entity === 'attribute' ? `attribute '${id.key}'` : `${id.entity} '${id.key}'`;
    const allowed = this.allowedOps(id.entity, id.key);
    if (!allowed.includes(op)) throw this.fail(opPos, `operator ${op} is not allowed on ${label}; use one of ${allowed.join(', ')}`);
    if (op === 'IS NULL' || op === 'IS NOT NULL') return { ...id, op, value: null, position: pos };
    if (op === 'IN' || op === 'NOT IN') return { ...id, op, value: this.list(), position: pos };
    const v = this.next();
    if (this.isNumeric(id.entity, id.key)) {
      if (v.type !== 'number') throw this.fail(v.pos, `expected a number for ${label}, got ${shown(v)}`);
      return { ...id, op, value: Number(v.text), position: pos };
    }
    if (v.type !== 'string') throw this.fail(v.pos, `expected a quoted string for ${label} (e.g. 'value'), got ${shown(v)}`);
    return { ...id, op, value: v.text, position: pos };
  }

  private list(): string[] {
    const open = this.next();
    if (open.type !== 'lparen') throw this.fail(open.pos, `expected '(' to start a list, got ${shown(open)}`);
    const values: string[] = [];
    for (;;) {
      const v = this.next();
      if (v.type !== 'string') throw this.fail(v.pos, `expected a quoted string in the list, got ${shown(v)}`);
      values.push(v.text);
      const sep = this.next();
      if (sep.type === 'rparen') return values;
      if (sep.type !== 'comma') throw this.fail(sep.pos, `expected ',' or ')' in the list, got ${shown(sep)}`);
    }
  }

  orderBy(): OrderBy {
    const id = this.identifier();
    let ascending = true;
    if (!this.atEnd()) {
      const t = this.next();
      if (isKeyword(t, 'ASC')) ascending = true;
      else if (isKeyword(t, 'DESC')) ascending = false;
      else throw this.fail(t.pos, `expected ASC or DESC, got ${shown(t)}`);
    }
    if (!this.atEnd()) throw this.fail(this.t.pos, `expected the end of the order_by clause, got ${shown(this.t)}`);
    return { entity: id.entity, key: id.key, ascending };
  }
}

/** The comparisons of an AND-ed filter; an empty or blank filter matches everything. */
export function parseFilter(filter: string | undefined | null, kind: SearchKind): Comparison[] {
  if (!filter || filter.trim() === '') return [];
  return new Parser(filter, tokenize(filter), RULES[kind], 'filter').filter();
}

/** One order_by clause such as `metrics.rmse ASC`, `attributes.start_time DESC` or `params.x`. */
export function parseOrderByClause(clause: string, kind: SearchKind): OrderBy {
  if (clause.trim() === '') throw filterError(clause, 0, 'empty order_by clause', 'order_by');
  return new Parser(clause, tokenize(clause), RULES[kind], 'order_by').orderBy();
}

/** All order_by clauses; the same field twice is refused, as in MLflow. */
export function parseOrderBy(clauses: readonly string[] | undefined, kind: SearchKind): OrderBy[] {
  const out: OrderBy[] = [];
  const seen = new Set<string>();
  for (const c of clauses ?? []) {
    const o = parseOrderByClause(c, kind);
    const id = `${o.entity}:${o.key}`;
    if (seen.has(id)) throw new AppError('INVALID_PARAMETER_VALUE', `order_by names ${o.entity} '${o.key}' twice`, { order_by: clauses });
    seen.add(id);
    out.push(o);
  }
  return out;
}
