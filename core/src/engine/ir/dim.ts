/**
 * Dimensions are static numbers or symbolic monomials such as "batch", "seq", "batch*seq" or "2*batch".
 * Monomials are enough for what decoders do (flatten batch×seq, concat two equal batches) and keep
 * equality a string comparison after canonicalisation.
 */
export type Dim = number | string;
export type Shape = readonly Dim[];

interface Monomial {
  coef: number;
  syms: string[];
}

/** Splits on `sep` outside parentheses. */
function splitTop(s: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === sep && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

function parse(d: Dim): Monomial {
  if (typeof d === 'number') return { coef: d, syms: [] };
  let coef = 1;
  const syms: string[] = [];
  for (const part of splitTop(d, '*')) {
    if (/^-?\d+$/.test(part)) coef *= Number(part);
    else syms.push(part);
  }
  return { coef, syms: syms.sort() };
}

function format(m: Monomial): Dim {
  if (m.syms.length === 0 || m.coef === 0) return m.coef;
  const body = m.syms.join('*');
  return m.coef === 1 ? body : `${m.coef}*${body}`;
}

/** Canonical form, so that "seq*batch" equals "batch*seq". */
export function canonDim(d: Dim): Dim {
  return format(parse(d));
}

export function dimEq(a: Dim, b: Dim): boolean {
  return canonDim(a) === canonDim(b);
}

export function isStaticDim(d: Dim): d is number {
  return typeof d === 'number';
}

export function dimMul(a: Dim, b: Dim): Dim {
  const x = parse(a);
  const y = parse(b);
  return format({ coef: x.coef * y.coef, syms: [...x.syms, ...y.syms].sort() });
}

/** a / b when it is a monomial with an integer coefficient, else undefined. */
export function dimDiv(a: Dim, b: Dim): Dim | undefined {
  const x = parse(a);
  const y = parse(b);
  if (y.coef === 0 || x.coef % y.coef !== 0) return undefined;
  const rest = [...x.syms];
  for (const s of y.syms) {
    const i = rest.indexOf(s);
    if (i < 0) return undefined;
    rest.splice(i, 1);
  }
  return format({ coef: x.coef / y.coef, syms: rest });
}

/** Splits a dim into its additive terms (an opaque sum "(a+b)" or a single monomial). */
export function dimTerms(d: Dim): Dim[] {
  if (typeof d === 'string' && d.startsWith('(') && d.endsWith(')') && splitTop(d.slice(1, -1), '+').length > 1) {
    return splitTop(d.slice(1, -1), '+').map(canonDim);
  }
  return [canonDim(d)];
}

/** a + b: a monomial when the symbols agree, else an opaque canonical sum such as "(-1+seq)". */
export function dimAdd(a: Dim, b: Dim): Dim {
  const byKey = new Map<string, Monomial>();
  for (const t of [...dimTerms(a), ...dimTerms(b)]) {
    const m = parse(t);
    const key = m.syms.join('*');
    const prev = byKey.get(key);
    byKey.set(key, { coef: (prev?.coef ?? 0) + m.coef, syms: m.syms });
  }
  const terms = [...byKey.values()].filter((m) => m.coef !== 0).map(format);
  if (terms.length === 0) return 0;
  if (terms.length === 1) return terms[0];
  return `(${terms.map(String).sort().join('+')})`;
}

export function shapeSize(s: Shape): Dim {
  return s.reduce<Dim>((acc, d) => dimMul(acc, d), 1);
}

/** The symbols of a monomial with its coefficient, for runtime evaluation. */
export function dimFactors(d: Dim): { coef: number; syms: string[] } {
  return parse(d);
}

/** Evaluates a dim given symbol values; undefined when a symbol is unbound. */
export function evalDim(d: Dim, lookup: (sym: string) => number | undefined): number | undefined {
  const terms = dimTerms(d);
  if (terms.length > 1) {
    let sum = 0;
    for (const t of terms) {
      const v = evalDim(t, lookup);
      if (v === undefined) return undefined;
      sum += v;
    }
    return sum;
  }
  const m = parse(d);
  let v = m.coef;
  for (const s of m.syms) {
    const x = lookup(s) ?? (s.startsWith('(') ? evalDim(s, lookup) : undefined);
    if (x === undefined) return undefined;
    v *= x;
  }
  return v;
}

export function shapeToString(s: Shape): string {
  return `[${s.join(', ')}]`;
}

/** Numpy broadcasting; a symbolic dim broadcasts only against an equal dim or a literal 1. */
export function broadcastShapes(a: Shape, b: Shape): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (dimEq(x, y)) out.push(canonDim(x));
    else if (x === 1) out.push(canonDim(y));
    else if (y === 1) out.push(canonDim(x));
    else throw new Error(`shapes ${shapeToString(a)} and ${shapeToString(b)} do not broadcast`);
  }
  return out;
}

export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}
