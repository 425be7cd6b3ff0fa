/**
 * Where the reference data of the facts sheets lives (tests only; the library never reads it):
 * $RFM_FACTS_DATA, else ../shared/facts/data beside the project root, else /work/shared/facts/data.
 * null when none exists (tests that need it then skip, saying why).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function factsDataDir(): string | null {
  const candidates = [
    process.env.RFM_FACTS_DATA,
    fileURLToPath(new URL('../../shared/facts/data', import.meta.url)),
    '/work/shared/facts/data',
  ];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}
