export { planGuiLaunch, planTerminal, placeholderValues, currentOs } from './plan';
export type { LaunchPlan } from './plan';
export { KNOWN_GUIS, guiChoicesFor, isKnownGui } from './known-guis';
export type { OsName, GuiCommand } from './known-guis';
export { databaseUrl, assertSafeUrl, localAddress, LaunchError, PLACEHOLDER_USER, ALLOWED_URL_SCHEMES } from './target';
export type { LaunchTarget, LaunchProtocol, LocalAddress } from './target';
export { splitCommandLine, fillTemplate, commandFromTemplate, TemplateError, PLACEHOLDERS } from './template';
export type { Placeholder, PlaceholderValues } from './template';
