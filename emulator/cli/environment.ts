// The guest's environment, a choice of the command line (the library takes `env` as given):
// - without --root the program runs as any program of this user would: the host's environment;
// - with --root DIR it runs in a jail, and the host's variables (tokens, keys, paths that mean
//   nothing inside DIR) stay out: only the terminal and locale ones (TERM, COLORTERM, LANG,
//   LC_*, TZ) pass, with PATH and HOME set as for a fresh login inside DIR;
// - --clear-env starts from nothing; --env K=V sets a variable, --env K copies K from the host.

export interface EnvChoice {
  jailed: boolean;
  clear: boolean;
  /** --env arguments in order: "K=V" or "K". */
  set: string[];
}

/** What a jail inherits from the host: how to draw and what language to speak, nothing else. */
const JAIL_PASSES = /^(TERM|COLORTERM|LANG|LANGUAGE|LC_[A-Z]+|TZ)$/;
export const JAIL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function guestEnvironment(choice: EnvChoice, host: NodeJS.ProcessEnv = process.env): string[] {
  const env = new Map<string, string>();
  if (!choice.clear) {
    for (const [k, v] of Object.entries(host)) {
      if (v !== undefined && (!choice.jailed || JAIL_PASSES.test(k))) env.set(k, v);
    }
    if (choice.jailed) {
      env.set("PATH", JAIL_PATH);
      env.set("HOME", "/");
    }
  }
  for (const s of choice.set) {
    const eq = s.indexOf("=");
    if (eq > 0) env.set(s.slice(0, eq), s.slice(eq + 1));
    else if (host[s] !== undefined) env.set(s, host[s]!);
  }
  return [...env].map(([k, v]) => `${k}=${v}`);
}
