export function uiSourceHash(): string
export function buildUiIfStale(say?: (msg: string) => void): boolean
