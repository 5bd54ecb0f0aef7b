import { describe, expect, it } from 'vitest';
import { decodeListedKey } from '../src/s3/target.js';

describe('listed keys', () => {
  it.each([
    ['with+space.wav', 'with space.wav'],
    ['plus%2Bsign.wav', 'plus+sign.wav'],
    ['carriage%0Dreturn.wav', 'carriage\rreturn.wav'],
    ['caf%C3%A9.wav', 'caf\u00e9.wav'],
    ['percent%2520.wav', 'percent%20.wav'],
  ])('decodes %s from a url-encoded listing as aws-cli does', (encoded, key) => {
    expect(decodeListedKey(encoded)).toBe(key);
  });
});
