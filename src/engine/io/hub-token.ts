/**
 * A Hub access token's shape, checked before it goes into an Authorization header. A token pasted
 * with a line break or a stray character inside would make fetch throw, and Node's fetch quotes
 * the whole header value in its message ("Headers.append: "Bearer hf_…" is an invalid header
 * value"): the token would reach the error shown and logged. So it is refused first, by a message
 * that never repeats it.
 */
import { BadInputError } from '../../errors';

// Hugging Face tokens are hf_ and letters/digits; any visible ASCII without spaces is let through.
const TOKEN = /^[\x21-\x7e]+$/;

export function checkHubToken(token: string): void {
  if (!TOKEN.test(token)) {
    throw new BadInputError(
      'The access token',
      null,
      'contains a space, a line break or a character outside ASCII, so it cannot be sent: paste the token alone (it starts with hf_; make one at huggingface.co/settings/tokens)',
    );
  }
}
