/** Absolute URLs of the built-in demo folders on the app's own server (the worker fetches them). */
function appUrl(path: string): string {
  return new URL(`${import.meta.env.BASE_URL}${path}`, document.baseURI).href;
}

export const demoModelUrl = () => appUrl('demo/model/');
export const demoDataUrl = () => appUrl('demo/data/');
