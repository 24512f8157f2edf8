// The host's non-secret settings. They are loaded after each (re)connect, after the host
// restarts, whenever the host read the config file again (`config.file`: a save, a Reload),
// and taken from the answer of each change.
import { create } from 'zustand';
import type {
  ApiError,
  AppApi,
  ReloadResult,
  SettingsUpdateInput,
  SettingsUpdateResult,
  SettingsView,
} from '../../../app/api';
import { asApiError } from '../lib/errors';

interface SettingsState {
  settings: SettingsView | null;
  /** 'unsupported' when the host cannot report its settings (an older host). */
  status: 'loading' | 'ready' | 'unsupported' | 'failed';
  loadError?: string;
}

export const useSettingsStore = create<SettingsState>(() => ({ settings: null, status: 'loading' }));

export async function loadSettings(api: AppApi): Promise<void> {
  try {
    useSettingsStore.setState({ settings: await api.call('settings.get', {}), status: 'ready', loadError: undefined });
  } catch (error) {
    const problem = asApiError(error);
    useSettingsStore.setState({
      status: problem.code === 'unknown-command' ? 'unsupported' : 'failed',
      loadError: problem.message,
    });
  }
}

/** Apply the config file again; the settings shown are refreshed from what the host now runs. */
export async function reloadConfig(api: AppApi): Promise<ReloadResult> {
  const result = await api.call('config.reload', {});
  await loadSettings(api);
  return result;
}

/** Change settings; resolves to the host's answer or its refusal (with the field it names). */
export async function updateSettings(
  api: AppApi,
  input: SettingsUpdateInput,
): Promise<{ ok: SettingsUpdateResult } | { error: ApiError }> {
  try {
    const ok = await api.call('settings.update', input);
    useSettingsStore.setState({ settings: ok.settings, status: 'ready', loadError: undefined });
    return { ok };
  } catch (error) {
    return { error: asApiError(error) };
  }
}
