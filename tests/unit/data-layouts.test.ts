import { describe, expect, it } from 'vitest';
import { headerOf, splitCsvLine } from '../../src-main/engines/data/import.js';
import { detectLayout, normalizeHeader, PORTAL_LAYOUT, TFX_LAYOUT } from '../../src-main/engines/data/layouts.js';
import { AppError } from '../../src-main/platform/errors.js';

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected an error');
}

describe('CSV layouts', () => {
  it('knows the 18 TFX columns and the 23 portal columns', () => {
    expect(TFX_LAYOUT.columns).toHaveLength(18);
    expect(PORTAL_LAYOUT.columns).toHaveLength(23);
  });

  it('chooses the layout from the header, in any column order', () => {
    expect(detectLayout([...TFX_LAYOUT.columns].reverse(), 'auto', 'f.csv').layout.name).toBe('tfx');
    const portal = detectLayout(PORTAL_LAYOUT.columns, 'auto', 'f.csv');
    expect(portal.layout.name).toBe('portal');
    expect(portal.position.get('Fare')).toBe(10);
    expect(portal.extra).toEqual([]);
  });

  it('ignores case, padding and _ versus space, and tolerates extra columns', () => {
    expect(normalizeHeader('\uFEFF  Trip_ID ')).toBe('trip id');
    const headers = PORTAL_LAYOUT.columns.map((c) => ` ${c.toUpperCase().replaceAll(' ', '_')} `).concat(['Shared Trip Authorized']);
    const r = detectLayout(headers, 'auto', 'f.csv');
    expect(r.layout.name).toBe('portal');
    expect(r.extra).toEqual(['Shared Trip Authorized']);
  });

  it('does not need the columns the mapping does not use', () => {
    const core = TFX_LAYOUT.columns.filter((c) => !TFX_LAYOUT.optional.includes(c));
    expect(detectLayout(core, 'auto', 'f.csv').layout.name).toBe('tfx');
  });

  it('lists the missing columns of the closest layout', () => {
    const e = thrown(() => detectLayout(TFX_LAYOUT.columns.filter((c) => c !== 'fare' && c !== 'tips'), 'auto', 'trips.csv'));
    expect(e.code).toBe('INVALID_FILE');
    expect(e.message).toContain('missing columns: fare, tips');
    expect(e.details).toMatchObject({ file: 'trips.csv', row: 0, column: 'fare', layout: 'tfx', missing: ['fare', 'tips'] });
  });

  it('explains a header that is not comma-separated', () => {
    const e = thrown(() => detectLayout([TFX_LAYOUT.columns.join(';')], 'auto', 'semi.csv'));
    expect(e.message).toContain('semicolon-separated');
    const t = thrown(() => detectLayout([TFX_LAYOUT.columns.join('\t')], 'auto', 'tab.csv'));
    expect(t.message).toContain('tab-separated');
  });

  it('checks the layout asked for', () => {
    const e = thrown(() => detectLayout(TFX_LAYOUT.columns, 'portal', 'f.csv'));
    expect(e.details).toMatchObject({ layout: 'portal' });
    expect(e.message).toContain('Trip ID');
  });

  it('refuses a header that names a column twice', () => {
    const e = thrown(() => detectLayout([...TFX_LAYOUT.columns, 'Fare'], 'auto', 'f.csv'));
    expect(e.details).toMatchObject({ column: 'Fare', row: 0 });
  });
});

describe('header line', () => {
  it('splits quoted fields', () => {
    expect(splitCsvLine('"Trip ID","a ""b"", c",x,')).toEqual(['Trip ID', 'a "b", c', 'x', '']);
  });

  it('reads the first line, without BOM or CR', () => {
    const head = Buffer.from('\uFEFFa,b,c\r\n1,2,3\r\n');
    expect(headerOf(head, 'f.csv', head.length)).toEqual(['a', 'b', 'c']);
  });

  it('rejects compressed, binary and header-less files', () => {
    expect(thrown(() => headerOf(Buffer.from([0x1f, 0x8b, 8, 0]), 'f.gz', 4)).message).toContain('gzip');
    expect(thrown(() => headerOf(Buffer.from('a,b\0,c\n'), 'f.csv', 7)).message).toContain('binary');
    expect(thrown(() => headerOf(Buffer.from('\n1,2\n'), 'f.csv', 5)).message).toContain('first line is empty');
    expect(thrown(() => headerOf(Buffer.from([0xc3, 0x28, 0x0a]), 'f.csv', 3)).message).toContain('not UTF-8');
    const long = Buffer.alloc(64 * 1024, 'a');
    expect(thrown(() => headerOf(long, 'f.csv', 10 * long.length)).message).toContain('no line break');
  });
});
