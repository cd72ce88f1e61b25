import { describe, expect, it } from 'vitest';
import { syslogUrl } from './url';

describe('the syslog URL of the form', () => {
  it('is tls://host:port, or tcp:// without TLS', () => {
    expect(syslogUrl(' logs.example.com ', '6514', true)).toEqual({ url: 'tls://logs.example.com:6514' });
    expect(syslogUrl('127.0.0.1', '0514', false)).toEqual({ url: 'tcp://127.0.0.1:514' });
  });

  it('brackets an IPv6 address', () => {
    expect(syslogUrl('::1', '6514', true)).toEqual({ url: 'tls://[::1]:6514' });
    expect(syslogUrl('[2001:db8::1]', '6514', true)).toEqual({ url: 'tls://[2001:db8::1]:6514' });
  });

  it('refuses a missing host, a URL in the host box and a bad port', () => {
    expect(syslogUrl('', '6514', true)).toHaveProperty('error');
    expect(syslogUrl('tls://logs.example.com', '6514', true)).toHaveProperty('error');
    expect(syslogUrl('user@logs', '6514', true)).toHaveProperty('error');
    expect(syslogUrl('logs', '65536', true)).toHaveProperty('error');
    expect(syslogUrl('logs', 'abc', true)).toHaveProperty('error');
    expect(syslogUrl('logs', '', true)).toHaveProperty('error');
  });
});
