import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../errors';
import { hubDirReader, memoryHubCache } from './hub';

const SECRET = 'hf_SeCrEt0123456789';

describe('the Hub access token', () => {
  it.each([
    ['a line break', `${SECRET}\nsecond-line`],
    ['a space', `${SECRET} ${SECRET}`],
    ['a tab', `Bearer\t${SECRET}`],
    ['a character outside ASCII', `${SECRET}é`],
    ['a control character', `${SECRET}\u0000`],
  ])('with %s is refused before any request, by a message that does not repeat it', (_, token) => {
    const requests: string[] = [];
    const fetch = (async (input: RequestInfo | URL) => {
      requests.push(String(input));
      return new Response('{}');
    }) as typeof globalThis.fetch;
    let error: unknown;
    try {
      hubDirReader('owner/model', { cache: memoryHubCache(), fetch, token });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BadInputError);
    expect((error as Error).message).toMatch(/^The access token: contains a space, a line break or a character outside ASCII/);
    expect((error as Error).message).not.toContain('SeCrEt');
    expect(requests).toEqual([]);
  });

  it('goes out as the Authorization header when it is well formed, and not at all when empty', async () => {
    const sent: (string | null)[] = [];
    const fetch = (async (_: RequestInfo | URL, init?: RequestInit) => {
      sent.push(new Headers(init?.headers).get('authorization'));
      return new Response('{}', { headers: { 'content-length': '2' } });
    }) as typeof globalThis.fetch;
    await hubDirReader('owner/model', { cache: memoryHubCache(), fetch, token: SECRET }).read('config.json');
    await hubDirReader('owner/model', { cache: memoryHubCache(), fetch, token: '' }).read('config.json');
    expect(sent).toEqual([`Bearer ${SECRET}`, null]);
  });
});
