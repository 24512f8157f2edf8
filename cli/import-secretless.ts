// `sesame import-secretless FILE [--out FILE] [--vault-addr URL] [--skip-unsupported]`: a
// Secretless secretless.yml (version 2) as a Sesame config — printed, or written to --out
// (never over an existing file). What the user should check goes to stderr.
import { access, readFile } from 'node:fs/promises';
import { importSecretless, writeConfigText } from '../app/config';

export interface ImportSecretlessOptions {
  out?: string;
  vaultAddr?: string;
  skipUnsupported?: boolean;
}

export async function runImportSecretless(file: string | undefined, options: ImportSecretlessOptions): Promise<number> {
  if (!file) throw new Error('give the secretless.yml to import: sesame import-secretless FILE [--out FILE]');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const result = importSecretless(text, file, {
    ...(options.vaultAddr ? { vaultAddress: options.vaultAddr } : {}),
    ...(options.skipUnsupported ? { skipUnsupported: true } : {}),
  });
  for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
  for (const skipped of result.skipped) process.stderr.write(`skipped: ${skipped.service}: ${skipped.reason}\n`);
  if (!options.out) {
    process.stdout.write(result.text);
    return 0;
  }
  const exists = await access(options.out).then(
    () => true,
    () => false,
  );
  if (exists) throw new Error(`${options.out} already exists; choose another --out or remove it first`);
  await writeConfigText(options.out, result.text);
  process.stderr.write(
    `wrote ${options.out} (${result.config.connections.length} connection${result.config.connections.length === 1 ? '' : 's'})\n`,
  );
  return 0;
}
