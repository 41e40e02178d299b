/** MLflow's search grammar on its own: the parser's AST, its errors with positions, and the SQL it leads to. */
import { describe, expect, it } from 'vitest';
import { filterLiteral, parseFilter, parseOrderBy, parseOrderByClause, type SearchKind } from '../../src-main/engines/registry/filter.js';
import { RUNS_TARGET, compileSearch, likeToGlob } from '../../src-main/engines/registry/sqlite/search-sql.js';

function failure(fn: () => unknown): { code: string; message: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error('expected a parse error');
}

const positionOf = (filter: string, kind: SearchKind = 'runs'): number => failure(() => parseFilter(filter, kind)).details.position as number;

describe('filter parser', () => {
  it('parses AND-ed comparisons on metrics, params, tags and attributes', () => {
    expect(parseFilter("metrics.rmse < 5 and params.model = 'mlp' AND tags.x LIKE 'a%'", 'runs')).toEqual([
      { entity: 'metric', key: 'rmse', op: '<', value: 5, position: 0 },
      { entity: 'param', key: 'model', op: '=', value: 'mlp', position: 21 },
      { entity: 'tag', key: 'x', op: 'LIKE', value: 'a%', position: 46 },
    ]);
  });

  it('accepts every spelling of the entities and the attribute aliases', () => {
    const one = (f: string) => parseFilter(f, 'runs')[0]!;
    expect(one("attributes.status = 'FINISHED'")).toMatchObject({ entity: 'attribute', key: 'status', value: 'FINISHED' });
    expect(one("attribute.run_name ILIKE '%x%'")).toMatchObject({ entity: 'attribute', key: 'run_name', op: 'ILIKE' });
    expect(one("attr.user_id != 'bob'")).toMatchObject({ entity: 'attribute', key: 'user_id', op: '!=' });
    expect(one("run.status = 'RUNNING'")).toMatchObject({ entity: 'attribute', key: 'status' });
    expect(one("status = 'RUNNING'")).toMatchObject({ entity: 'attribute', key: 'status' });
    expect(one('created > 5')).toMatchObject({ entity: 'attribute', key: 'start_time', value: 5 });
    expect(one("attributes.`Run Name` = 'a'")).toMatchObject({ key: 'run_name' });
    expect(one('metric.loss >= -1.5e-3')).toMatchObject({ entity: 'metric', op: '>=', value: -0.0015 });
    expect(one("parameters.lr = '0.1'")).toMatchObject({ entity: 'param', key: 'lr' });
    expect(one("param.lr = '0.1'")).toMatchObject({ entity: 'param' });
    expect(one("tag.owner = 'x'")).toMatchObject({ entity: 'tag', key: 'owner' });
  });

  it('reads backticked and double-quoted keys, dotted keys and escaped quotes', () => {
    expect(parseFilter('metrics.`f1 score` > 0.5', 'runs')[0]).toMatchObject({ key: 'f1 score', value: 0.5 });
    expect(parseFilter(`tags."my key" = 'v'`, 'runs')[0]).toMatchObject({ key: 'my key' });
    expect(parseFilter("tags.mlflow.runName = 'r'", 'runs')[0]).toMatchObject({ entity: 'tag', key: 'mlflow.runName' });
    expect(parseFilter("params.note = 'it''s'", 'runs')[0]).toMatchObject({ value: "it's" });
    expect(parseFilter(`params.note = "double"`, 'runs')[0]).toMatchObject({ value: 'double' });
    expect(parseFilter('metrics.`a``b` = 1', 'runs')[0]).toMatchObject({ key: 'a`b' });
  });

  it('parses IN lists, NOT IN and IS [NOT] NULL', () => {
    expect(parseFilter("attributes.run_id IN ('a', 'b')", 'runs')[0]).toMatchObject({ op: 'IN', value: ['a', 'b'] });
    expect(parseFilter("tags.team not in ('ops')", 'runs')[0]).toMatchObject({ op: 'NOT IN', value: ['ops'] });
    expect(parseFilter('params.lr IS NULL', 'runs')[0]).toMatchObject({ op: 'IS NULL', value: null });
    expect(parseFilter('tags.t is not null', 'runs')[0]).toMatchObject({ op: 'IS NOT NULL' });
  });

  it('follows MLflow on numbers versus strings', () => {
    expect(failure(() => parseFilter("metrics.rmse < '5'", 'runs')).message).toBe("invalid filter at position 15: expected a number for metric 'rmse', got ''5''");
    expect(failure(() => parseFilter('params.lr = 0.1', 'runs')).message).toMatch(/position 12: expected a quoted string for param 'lr'/);
    expect(failure(() => parseFilter("metrics.rmse LIKE '5%'", 'runs')).message).toMatch(/position 13: operator LIKE is not allowed on metric 'rmse'/);
    expect(failure(() => parseFilter("params.lr > '1'", 'runs')).message).toMatch(/operator > is not allowed on param 'lr'/);
    expect(failure(() => parseFilter("attributes.start_time = '1'", 'runs')).message).toMatch(/expected a number for attribute 'start_time'/);
  });

  it('points at the problem with a position and a caret line', () => {
    const e = failure(() => parseFilter("metrics.rmse < 5 and params.model foo 'mlp'", 'runs'));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toBe("invalid filter at position 34: expected a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS NULL), got 'foo'");
    expect(e.details).toMatchObject({ filter: "metrics.rmse < 5 and params.model foo 'mlp'", position: 34 });
    expect(e.details.caret).toBe("metrics.rmse < 5 and params.model foo 'mlp'\n                                  ^");

    expect(positionOf("params.a = '1' or params.b = '2'")).toBe(15);
    expect(failure(() => parseFilter("params.a = '1' or params.b = '2'", 'runs')).message).toMatch(/OR is not supported/);
    expect(positionOf("params.a = '1' params.b = '2'")).toBe(15);
    expect(positionOf('metrics.rmse <')).toBe(14);
    expect(failure(() => parseFilter('metrics.rmse <', 'runs')).message).toMatch(/got the end of the filter/);
    expect(positionOf("nonsense.key = '1'")).toBe(0);
    expect(failure(() => parseFilter("nonsense.key = '1'", 'runs')).message).toMatch(/unknown entity 'nonsense'/);
    expect(positionOf("attributes.colour = 'red'")).toBe(11);
    expect(positionOf("params.note = 'unterminated")).toBe(14);
    expect(positionOf('metrics.rmse < 5 # comment')).toBe(17);
    expect(positionOf("tags.t IN ('a' 'b')")).toBe(15);
    expect(positionOf('tags.t IN ()')).toBe(11);
    expect(positionOf("metrics.`unterminated = 'x'")).toBe(8);
  });

  it('allows per search only what MLflow allows there', () => {
    expect(parseFilter("name LIKE 'fare%' and tags.task = 'fare'", 'models')).toHaveLength(2);
    expect(parseFilter("name = 'm' and run_id = 'abc' and version_number > 2", 'versions')).toHaveLength(3);
    expect(parseFilter("name ILIKE '%taxi%' and creation_time > 0 and tags.x = 'y'", 'experiments')).toHaveLength(3);
    expect(failure(() => parseFilter('metrics.rmse < 1', 'models')).message).toMatch(/'metrics' cannot be used here; expected one of tags, attributes/);
    expect(failure(() => parseFilter("status = 'x'", 'models')).message).toMatch(/unknown attribute 'status'; expected one of name/);
    expect(failure(() => parseFilter("tags.x IS NULL", 'models')).message).toMatch(/operator IS NULL is not allowed on tag 'x'/);
  });

  it('treats an empty or blank filter as no filter', () => {
    expect(parseFilter('', 'runs')).toEqual([]);
    expect(parseFilter('   ', 'runs')).toEqual([]);
    expect(parseFilter(undefined, 'runs')).toEqual([]);
  });
});

describe('order_by parser', () => {
  it('parses entity, key and direction', () => {
    expect(parseOrderByClause('metrics.rmse ASC', 'runs')).toEqual({ entity: 'metric', key: 'rmse', ascending: true });
    expect(parseOrderByClause('attributes.start_time DESC', 'runs')).toEqual({ entity: 'attribute', key: 'start_time', ascending: false });
    expect(parseOrderByClause('params.x', 'runs')).toEqual({ entity: 'param', key: 'x', ascending: true });
    expect(parseOrderByClause('metrics.`f1 score` desc', 'runs')).toEqual({ entity: 'metric', key: 'f1 score', ascending: false });
    expect(parseOrderByClause('timestamp DESC', 'models')).toEqual({ entity: 'attribute', key: 'creation_timestamp', ascending: false });
    expect(parseOrderByClause('version_number', 'versions')).toMatchObject({ key: 'version_number' });
  });

  it('refuses bad directions, extra tokens, unknown keys and duplicates', () => {
    expect(failure(() => parseOrderByClause('metrics.rmse SIDEWAYS', 'runs')).message).toBe("invalid order_by at position 13: expected ASC or DESC, got 'SIDEWAYS'");
    expect(failure(() => parseOrderByClause('metrics.rmse ASC extra', 'runs')).details.position).toBe(17);
    expect(failure(() => parseOrderByClause('attributes.colour', 'runs')).message).toMatch(/unknown attribute 'colour'/);
    expect(failure(() => parseOrderByClause('', 'runs')).code).toBe('INVALID_PARAMETER_VALUE');
    expect(failure(() => parseOrderBy(['metrics.rmse', 'metrics.rmse DESC'], 'runs')).message).toMatch(/twice/);
  });
});

describe('filter → SQL', () => {
  it('never puts a value into the SQL text', () => {
    const evil = "x'; DROP TABLE runs; --";
    const c = compileSearch(RUNS_TARGET, parseFilter(`params.model = "${evil}" and tags.\`t'x\` LIKE '%a%' and metrics.rmse < 3`, 'runs'), []);
    const sql = [...c.joins, ...c.where].join(' ');
    expect(sql).not.toContain('DROP');
    expect(sql).not.toContain("t'x");
    expect(Object.values(c.params)).toEqual(expect.arrayContaining([evil, "t'x", '*a*', 3, 'model', 'rmse']));
  });

  it('reuses a metric filter join to order by the same metric, and adds MLflow tie-breakers', () => {
    const c = compileSearch(RUNS_TARGET, parseFilter('metrics.rmse < 3', 'runs'), parseOrderBy(['metrics.rmse ASC'], 'runs'));
    expect(c.joins).toHaveLength(1);
    expect(c.orderBy).toEqual(['f0.value ASC', 'r.start_time DESC', 'r.run_uuid ASC']);
    const d = compileSearch(RUNS_TARGET, [], parseOrderBy(['metrics.rmse DESC', 'attributes.start_time ASC'], 'runs'));
    expect(d.joins[0]).toMatch(/^LEFT JOIN latest_metrics o0/);
    expect(d.orderBy.at(-1)).toBe('r.run_uuid ASC');
    expect(d.orderBy).not.toContain('r.start_time DESC');
  });

  it('lets a named metric drive: its join opens the FROM clause and other value indexes are hidden', () => {
    const c = compileSearch(RUNS_TARGET, parseFilter("params.model = 'mlp' and metrics.rmse < 3", 'runs'), parseOrderBy(['metrics.rmse DESC'], 'runs'), {
      driver: 'rmse',
      scope: [4, 5],
    });
    expect(c.from).toBe('latest_metrics f1 CROSS JOIN runs r');
    expect(c.joins).toEqual([expect.stringMatching(/^JOIN params f0 ON .* \+f0\.value = @p\d+$/)]);
    expect(c.where).toEqual(expect.arrayContaining([expect.stringMatching(/^f1\.run_uuid = r\.run_uuid AND f1\.experiment_id IN \(@p\d+, @p\d+\)$/), 'f1.is_nan = 0']));
    expect(c.orderBy[0]).toBe('f1.value DESC');
    const plain = compileSearch(RUNS_TARGET, parseFilter("params.model = 'mlp'", 'runs'), [], { mainFirst: true });
    expect(plain.from).toBe('runs r');
    expect(plain.joins[0]).toMatch(/^CROSS JOIN params f0 ON .* f0\.value = @p1$/);
  });

  it("turns MLflow's case-sensitive LIKE into GLOB", () => {
    expect(likeToGlob('fa%')).toBe('fa*');
    expect(likeToGlob('a_c')).toBe('a?c');
    expect(likeToGlob('*[?]')).toBe('[*][[][?]]');
  });
});

describe('filterLiteral', () => {
  it('quotes any name so that it parses back as itself', () => {
    for (const name of ["plain", "o'brien", "a\\b", "ends with \\", "\\'", "''", "x\\\\y", "name = 'x' OR 1 = 1"]) {
      const [c] = parseFilter(`name = ${filterLiteral(name)}`, 'versions');
      expect(c!.value, name).toBe(name);
    }
    // Without the backslash escape, a name ending in "\" would swallow its closing quote.
    expect(() => parseFilter(`name = 'ends with \\'`, 'versions')).toThrow(/unterminated/);
  });
});
