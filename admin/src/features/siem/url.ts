// The URL of a syslog sink from the form's host, port and TLS box: `tls://host:port` (the server
// accepts plain `tcp://` only to loopback, in development setups).

export function syslogUrl(host: string, port: string, tls: boolean): { url: string } | { error: string } {
  const h = host.trim();
  if (!h) return { error: 'Enter the syslog collector’s host name or address.' };
  if (/[\s/@?#]/.test(h)) return { error: 'Enter only the host name or address (no scheme, path or user).' };
  const p = port.trim();
  if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) return { error: 'The port is a number from 1 to 65535 (syslog over TLS is usually 6514).' };
  // An IPv6 address goes in brackets.
  const bracketed = h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
  return { url: `${tls ? 'tls' : 'tcp'}://${bracketed}:${Number(p)}` };
}
