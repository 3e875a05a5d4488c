/** `owner/name@revision` as typed in the Hub id field: the id and the revision (none: main). */
export interface HubRef {
  modelId: string;
  revision: string | undefined;
}

/** Splits at the first '@' (Hub ids never contain one); hub.ts validates both parts. */
export function parseHubRef(text: string): HubRef {
  const ref = text.trim();
  const at = ref.indexOf('@');
  if (at < 0) return { modelId: ref, revision: undefined };
  return { modelId: ref.slice(0, at).trim(), revision: ref.slice(at + 1).trim() };
}
