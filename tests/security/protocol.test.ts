/**
 * Path traversal against the app:// protocol (resolveAppPath), beyond tests/host/appUrl.test.ts:
 * dot segments in every encoding, encoded and back slashes, absolute paths, null bytes, foreign
 * hosts. Each must be refused (null) or, where URL parsing folds the dots away first, land inside
 * the bundle.
 */
import { resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveAppPath } from '../../electron/main/appUrl.js';

const root = resolve('/srv/app/dist/renderer');
const inside = (f: string | null) => f === null || f.startsWith(root + sep);

describe('app:// path traversal', () => {
  it('refuses every evil URL', () => {
    const refused = [
      // encoded dot segments hidden behind an encoded slash (decoding then meets "..")
      'app://nvg/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      // encoded slashes and backslashes
      'app://nvg/..%2f..%2f..%2fetc%2fpasswd', 'app://nvg/..%2F..%2Fpackage.json', 'app://nvg/..%5c..%5cpackage.json',
      'app://nvg/assets%5c..%5c..%5cpackage.json', 'app://nvg/%5c%5cserver%5cshare',
      // malformed percent-encoding
      'app://nvg/%E0%A4%A', 'app://nvg/%', 'app://nvg/%zz',
      // null bytes
      'app://nvg/index.html%00.png', 'app://nvg/assets/%00',
      // the bundle root itself is not a file
      'app://nvg/assets/..%2f',
      // other hosts, schemes, credentials and ports
      'app://NVG.evil/index.html', 'app://evil/../index.html', 'app://nvg.evil.com/index.html', 'app://user@evil/index.html',
      'app://nvg:8080/index.html', 'app:///etc/passwd', 'app:/etc/passwd', 'file:///srv/app/dist/renderer/index.html',
      'https://nvg/index.html', 'javascript:alert(1)', 'app://', '',
    ];
    for (const url of refused) expect(resolveAppPath(root, url), url).toBeNull();
    // Plain and %2e dot segments (and backslashes, which a "special" scheme would turn into slashes) are
    // folded by the URL parser before we see them: the result must stay inside the bundle.
    const folded = [
      'app://nvg/../../../etc/passwd', 'app://nvg/./../index.html', 'app://nvg/assets/../../package.json', 'app://nvg//etc/passwd',
      'app://nvg/..\\..\\package.json', 'app://nvg/%2e%2e/%2e%2e/etc/passwd', 'app://nvg/%2E%2E/%2E%2E/etc/passwd',
      'app://nvg/.%2e/.%2e/etc/passwd', 'app://nvg/%2e./%2e./etc/passwd', 'app://nvg/%00../../etc/passwd',
      'app://nvg/%2fetc%2fpasswd', 'app://nvg/%2F%2Fetc/passwd', 'app://nvg/%252e%252e/%252e%252e/etc/passwd', 'app://nvg/C:/Windows/win.ini', 'app://nvg/....//....//etc',
    ];
    for (const url of folded) expect(inside(resolveAppPath(root, url)), `${url} -> ${resolveAppPath(root, url)}`).toBe(true);
    console.log(`[security] app:// traversal: ${refused.length} URLs refused, ${folded.length} folded inside the bundle`);
  });
});
