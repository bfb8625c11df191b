import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

export interface CertificatePair {
  cert: string
  key: string
}

/**
 * Writes a self-signed certificate for 127.0.0.1 and its key into `dir` with openssl.
 * Returns the reason instead when openssl is not available, for the test to skip with.
 */
export function selfSignedPair(
  dir: string,
  name = 'server',
  options: { loopbackNames?: boolean } = {},
): CertificatePair | { skip: string } {
  const cert = join(dir, `${name}-cert.pem`)
  const key = join(dir, `${name}-key.pem`)
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        // Clients that check host names need the address in subjectAltName, not the CN.
        ...(options.loopbackNames ? ['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'] : []),
      ],
      { stdio: 'ignore', timeout: 30_000 },
    )
  } catch (error) {
    const code = (error as { code?: string }).code
    return { skip: code === 'ENOENT' ? 'openssl is not installed' : `openssl failed: ${String(error)}` }
  }
  return { cert, key }
}
