// Module resolution hook: `import … from 'electron'` gets the stand-in runtime.
const RUNTIME = new URL('./runtime/index.ts', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  // Through the next resolver (tsx), so the TypeScript file is loaded as TypeScript.
  if (specifier === 'electron') return nextResolve(RUNTIME, context);
  return nextResolve(specifier, context);
}
