// A user's GUI command template (`dbeaver -con "host={host}|port={port}"`, `psql {url}`) →
// argv, with no shell anywhere: the template is split once, like a shell would split words
// (quotes and backslashes), and each placeholder is then filled inside its word, so a value
// with spaces or quotes can never become another argument, an option or a second command.

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export const PLACEHOLDERS = ['url', 'host', 'port', 'user', 'database'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Record<Placeholder, string>;

const MAX_TEMPLATE = 1000;
/** Shell operators that would mean something else to a shell; unquoted they are refused, not passed on. */
const SHELL_OPERATORS = /^(?:[|;&<>`]|\$\()/;

/** Split a template into words: whitespace separates; '…' is literal; "…" allows \" and \\; \x escapes x. */
export function splitCommandLine(template: string): string[] {
  if (template.length > MAX_TEMPLATE)
    throw new TemplateError(`the command template is longer than ${MAX_TEMPLATE} characters`);
  if (/[\0\r\n]/.test(template)) throw new TemplateError('the command template must be one line');
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch === ' ' || ch === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === "'") {
      const end = template.indexOf("'", i + 1);
      if (end < 0) throw new TemplateError(`unterminated ' in the command template (at ${i + 1})`);
      word += template.slice(i + 1, end);
      i = end;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < template.length && template[j] !== '"'; j++) {
        if (template[j] === '\\' && (template[j + 1] === '"' || template[j + 1] === '\\')) j++;
        word += template[j];
      }
      if (j >= template.length) throw new TemplateError(`unterminated " in the command template (at ${i + 1})`);
      i = j;
    } else if (ch === '\\') {
      if (i + 1 >= template.length) throw new TemplateError('the command template ends with a lone \\');
      word += template[++i];
    } else {
      if (SHELL_OPERATORS.test(template.slice(i, i + 2))) {
        throw new TemplateError(
          `'${ch}' in the command template: it runs without a shell, so pipes, redirections and ; are not available (quote it to pass it literally)`,
        );
      }
      word += ch;
    }
  }
  if (inWord) words.push(word);
  if (words.length === 0) throw new TemplateError('the command template is empty');
  return words;
}

/** Replace {url} {host} {port} {user} {database} inside each word; any other {name} is an error. */
export function fillTemplate(words: readonly string[], values: PlaceholderValues): string[] {
  return words.map((word) =>
    word.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, name: string) => {
      if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
        throw new TemplateError(
          `unknown placeholder {${name}} in the command template (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`,
        );
      }
      return values[name as Placeholder];
    }),
  );
}

/** The argv for `template` with `values`; the program is never a placeholder (it must be named). */
export function commandFromTemplate(template: string, values: PlaceholderValues): string[] {
  const words = splitCommandLine(template);
  if (/\{[A-Za-z_]/.test(words[0]!))
    throw new TemplateError('the command template must start with the program to run, not a placeholder');
  return fillTemplate(words, values);
}
