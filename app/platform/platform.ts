// What a shell (Electron main/, the browser-mode CLI, the daemon) provides to the host.
// The host never imports Electron: it asks the platform to open a URL, a terminal or a GUI,
// to notify, and to keep secrets in the OS keychain.

/** Where the session token is kept between runs. */
export interface SecretStore {
  /** 'keychain' (OS keychain via keytar), 'safe-storage' (Electron safeStorage, encrypted), 'memory'. */
  readonly kind: 'keychain' | 'safe-storage' | 'memory';
  /** Why persistence is unavailable, in plain words, when kind is 'memory'. */
  readonly unavailableReason?: string;
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<boolean>;
}

export interface Platform {
  /** Open a URL in the system browser (OIDC login, GUI URL schemes). */
  openExternal(url: string): Promise<void>;
  /** Run a command line in the user's terminal emulator. */
  openTerminal(argv: string[], options?: { title?: string }): Promise<void>;
  /** Start a detached program (a database GUI). */
  launch(argv: string[]): Promise<void>;
  notify(title: string, body: string): void;
  writeClipboard?(text: string): Promise<void>;
  secrets: SecretStore;
  /** "Start at login", where the shell can (Electron); absent in browser and daemon modes. */
  startAtLogin?: StartAtLogin;
}

export interface StartAtLogin {
  /** False where the OS has no such setting. */
  readonly available: boolean;
  isEnabled(): boolean;
  setEnabled(enabled: boolean): void;
}

/** A secret store that keeps nothing beyond this process: the explicit, visible fallback. */
export function createMemorySecretStore(reason: string): SecretStore {
  const values = new Map<string, string>();
  return {
    kind: 'memory',
    unavailableReason: reason,
    async get(account) {
      return values.get(account) ?? null;
    },
    async set(account, secret) {
      values.set(account, secret);
    },
    async delete(account) {
      return values.delete(account);
    },
  };
}
