/** Where S3 is: flags first, then the standard AWS environment, else the embedded endpoint. */
import { describe, expect, test } from '@jest/globals';
import { defaultSocketPath } from '../src/ipc/socketPath.js';
import { normalisePrefix, resolveS3Config } from '../src/s3/config.js';

describe('S3 configuration', () => {
  test('resolution order', () => {
    expect(resolveS3Config({}, {}).location).toEqual({ kind: 'embedded' });
    expect(resolveS3Config({}, { AWS_PROFILE: 'p' }).location).toEqual({ kind: 'aws' });
    expect(resolveS3Config({}, { AWS_ACCESS_KEY_ID: 'k' }).location).toEqual({ kind: 'aws' });
    expect(resolveS3Config({}, { AWS_REGION: 'eu-west-1' }).location).toEqual({ kind: 'aws', region: 'eu-west-1' });
    expect(resolveS3Config({}, { AWS_ENDPOINT_URL: 'http://h:9000/', AWS_REGION: 'r' }).location).toEqual({ kind: 'endpoint', url: 'http://h:9000', region: 'r' });
    expect(resolveS3Config({}, { AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_S3: 'http://s3' }).location).toEqual({ kind: 'endpoint', url: 'http://s3', region: 'us-east-1' });
    expect(resolveS3Config({ s3Endpoint: 'http://flag' }, { AWS_ENDPOINT_URL: 'http://env' }).location).toMatchObject({ url: 'http://flag' });
    expect(resolveS3Config({ s3Endpoint: 'aws' }, { AWS_ENDPOINT_URL: 'http://env' }).location).toEqual({ kind: 'aws' });
    expect(resolveS3Config({ s3Endpoint: 'embedded' }, { AWS_PROFILE: 'p' }).location).toEqual({ kind: 'embedded' });
    expect(() => resolveS3Config({ s3Endpoint: 'ftp://x' }, {})).toThrow(/http/);
    expect(() => resolveS3Config({ s3Endpoint: 'not a url' }, {})).toThrow(/not a URL/);
  });

  test('bucket and prefix', () => {
    expect(resolveS3Config({}, {})).toMatchObject({ bucket: 'hermitkv', prefix: 'kv/' });
    expect(normalisePrefix('')).toBe('');
    expect(normalisePrefix('a')).toBe('a/');
    expect(normalisePrefix('a/b/')).toBe('a/b/');
    for (const bad of ['/', '/a', 'a//b', '../a', 'a/./b', 'a b', '%2F']) expect(() => normalisePrefix(bad)).toThrow(/not valid/);
    expect(() => resolveS3Config({ bucket: 'UPPER' }, {})).toThrow(/bucket name/);
  });

  test('default socket path', () => {
    expect(defaultSocketPath({ XDG_RUNTIME_DIR: '/run/user/5' })).toBe('/run/user/5/hermitkv/proxy.sock');
    expect(defaultSocketPath({})).toMatch(/\/hermitkv-[^/]+\/proxy\.sock$/);
  });
});
