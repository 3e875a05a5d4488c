/** The masks, live: head masks per layer, FFN masks, module Importance Ratios and rank scores. (Being built: issue 10.) */
export function MasksScreen() {
  return null;
}
