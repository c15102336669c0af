/** The Electron shell's pure security rules: app:// path mapping without traversal, trusted senders. */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_CSP, isTrustedSenderUrl, resolveAppPath } from '../../electron/main/appUrl.js';

const root = resolve('/srv/app/dist/renderer');

describe('app:// protocol', () => {
  it('maps app URLs into the bundle', () => {
    expect(resolveAppPath(root, 'app://nvg/index.html')).toBe(join(root, 'index.html'));
    expect(resolveAppPath(root, 'app://nvg/')).toBe(join(root, 'index.html'));
    expect(resolveAppPath(root, 'app://nvg/assets/index-1.js?x=1')).toBe(join(root, 'assets', 'index-1.js'));
  });
  it('never resolves outside the bundle (URL parsing may fold dot segments inside it)', () => {
    for (const url of ['app://nvg/../package.json', 'app://nvg/%2e%2e/package.json', 'app://nvg/assets/%2e%2e/%2e%2e/secret', 'app://nvg/..%2f..%2fetc/passwd']) {
      const file = resolveAppPath(root, url);
      expect(file === null || file.startsWith(root + '/'), `${url} -> ${file}`).toBe(true);
    }
    expect(resolveAppPath(root, 'app://nvg/..%2f..%2fetc/passwd')).toBeNull();
  });
  it('refuses other hosts and schemes, and bad encodings', () => {
    for (const url of [
      'app://nvg/%00', 'app://nvg/a%5c..%5c..%5cx', 'app://evil/index.html', 'file:///etc/passwd', 'http://nvg/index.html', 'app://nvg/%E0%A4%A', 'not a url',
    ]) expect(resolveAppPath(root, url), url).toBeNull();
  });
  it('trusts only the app origin as an IPC sender', () => {
    expect(isTrustedSenderUrl('app://nvg/index.html')).toBe(true);
    for (const url of ['https://example.com/', 'app://evil/index.html', 'file:///index.html', '', undefined, 'devtools://x']) {
      expect(isTrustedSenderUrl(url), String(url)).toBe(false);
    }
  });
  it('has a strict CSP', () => {
    expect(APP_CSP).toContain("script-src 'self'");
    expect(APP_CSP).not.toContain('unsafe-eval');
    expect(APP_CSP).toContain("object-src 'none'");
  });
});
