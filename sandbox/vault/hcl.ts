// A small HCL (v1, as Vault policies use it) reader: blocks with labels, attributes, strings,
// numbers, booleans, lists, objects, heredocs and all three comment styles. The result is a JSON
// value shaped like Vault's JSON policies: `path "a" {...}` becomes `{ path: { a: {...} } }`;
// repeated blocks are collected in order so duplicates can be merged by the caller.

export class HclError extends Error {}

type Value = string | number | boolean | Value[] | HclObject;
export interface HclObject {
  [key: string]: Value;
}

interface Token {
  kind: 'str' | 'ident' | 'num' | 'punct';
  text: string;
  line: number;
  col: number;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const at = (): { line: number; col: number } => ({ line, col: i - lineStart + 1 });
  while (i < src.length) {
    const c = src[i] as string;
    if (c === '\n') {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new HclError(`At ${line}:${i - lineStart + 1}: comment not terminated`);
      for (let k = i; k < end; k++) if (src[k] === '\n') line++;
      i = end + 2;
      continue;
    }
    const pos = at();
    if (c === '"') {
      let s = '';
      i++;
      while (i < src.length && src[i] !== '"') {
        if (src[i] === '\n') throw new HclError(`At ${pos.line}:${pos.col}: literal not terminated`);
        if (src[i] === '\\') {
          const n = src[i + 1];
          s += n === 'n' ? '\n' : n === 't' ? '\t' : (n ?? '');
          i += 2;
        } else s += src[i++];
      }
      if (src[i] !== '"') throw new HclError(`At ${pos.line}:${pos.col}: literal not terminated`);
      i++;
      out.push({ kind: 'str', text: s, ...pos });
      continue;
    }
    if (c === '<' && src[i + 1] === '<') {
      const m = /^<<-?([A-Za-z_]+)\n/.exec(src.slice(i));
      if (!m) throw new HclError(`At ${pos.line}:${pos.col}: invalid heredoc`);
      const marker = m[1] as string;
      const bodyStart = i + m[0].length;
      const endRe = new RegExp(`\\n\\s*${marker}\\s*(\\n|$)`, 'g');
      endRe.lastIndex = bodyStart - 1;
      const end = endRe.exec(src);
      if (!end) throw new HclError(`At ${pos.line}:${pos.col}: heredoc not terminated`);
      const body = src.slice(bodyStart, end.index + 1);
      for (const ch of src.slice(i, end.index + end[0].length)) if (ch === '\n') line++;
      i = end.index + end[0].length;
      lineStart = i;
      out.push({ kind: 'str', text: body, ...pos });
      continue;
    }
    if (/[-0-9]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(src.slice(i));
      if (!m) throw new HclError(`At ${pos.line}:${pos.col}: illegal char`);
      i += m[0].length;
      out.push({ kind: 'num', text: m[0], ...pos });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(src.slice(i)) as RegExpExecArray;
      i += m[0].length;
      out.push({ kind: 'ident', text: m[0], ...pos });
      continue;
    }
    if ('{}[]=,:'.includes(c)) {
      i++;
      out.push({ kind: 'punct', text: c, ...pos });
      continue;
    }
    throw new HclError(`At ${pos.line}:${pos.col}: illegal char`);
  }
  return out;
}

export function parseHcl(src: string): HclObject {
  const tokens = tokenize(src);
  let p = 0;
  const peek = (): Token | undefined => tokens[p];
  const fail = (t: Token | undefined, what: string): never => {
    if (!t) throw new HclError(`At EOF: ${what}`);
    throw new HclError(`At ${t.line}:${t.col}: ${what}, got: ${JSON.stringify(t.text)}`);
  };
  const expect = (text: string): void => {
    const t = tokens[p];
    if (!t || t.kind !== 'punct' || t.text !== text) fail(t, `expected ${JSON.stringify(text)}`);
    p++;
  };

  function value(): Value {
    const t = tokens[p];
    if (!t) return fail(t, 'expected a value');
    if (t.kind === 'str') return (p++, t.text);
    if (t.kind === 'num') return (p++, Number(t.text));
    if (t.kind === 'ident' && (t.text === 'true' || t.text === 'false')) return (p++, t.text === 'true');
    if (t.kind === 'punct' && t.text === '[') {
      p++;
      const list: Value[] = [];
      while (peek()?.text !== ']' || peek()?.kind !== 'punct') {
        list.push(value());
        if (peek()?.kind === 'punct' && peek()?.text === ',') p++;
        else break;
      }
      expect(']');
      return list;
    }
    if (t.kind === 'punct' && t.text === '{') {
      p++;
      const o = body('}');
      expect('}');
      return o;
    }
    return fail(t, 'expected a value');
  }

  function addBlock(target: HclObject, labels: string[], content: HclObject): void {
    let cur = target;
    for (const label of labels.slice(0, -1)) {
      const next = cur[label];
      if (next === undefined || typeof next !== 'object' || Array.isArray(next)) cur[label] = {};
      cur = cur[label] as HclObject;
    }
    const last = labels[labels.length - 1] as string;
    const existing = cur[last];
    // Repeated blocks with the same labels: keep them all, in order.
    if (existing === undefined) cur[last] = content;
    else if (Array.isArray(existing)) existing.push(content);
    else cur[last] = [existing, content];
  }

  function body(end: string | undefined): HclObject {
    const o: HclObject = {};
    for (;;) {
      const t = peek();
      if (!t) {
        if (end) fail(t, `expected ${JSON.stringify(end)}`);
        return o;
      }
      if (t.kind === 'punct' && t.text === end) return o;
      if (t.kind !== 'ident' && t.kind !== 'str') fail(t, 'expected an identifier');
      p++;
      const key = t.text;
      const n = peek();
      if (n?.kind === 'punct' && (n.text === '=' || n.text === ':')) {
        p++;
        o[key] = value();
      } else {
        const labels = [key];
        while (peek()?.kind === 'str' || peek()?.kind === 'ident') labels.push((tokens[p++] as Token).text);
        expect('{');
        const content = body('}');
        expect('}');
        addBlock(o, labels, content);
      }
      if (peek()?.kind === 'punct' && peek()?.text === ',') p++;
    }
  }

  return body(undefined);
}
