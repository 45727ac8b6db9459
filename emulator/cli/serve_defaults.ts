// What `sysgate help` says of `sysgate serve` without loading it.

/** Programs a server runs at once unless --workers says otherwise (a thread each). */
export const DEFAULT_WORKERS = 16;
