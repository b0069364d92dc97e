import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadSignalingConfig } from './config.ts';
import { turnCredentials } from './turn.ts';

describe('turnCredentials', () => {
  it('makes the TURN REST username and password coturn recomputes from the shared secret', () => {
    const turn = { urls: ['turn:10.0.0.5:3478?transport=udp'], secret: 's3cret-s3cret-s3cret', ttlS: 600 };
    const c = turnCredentials(turn, 'pt-42', 1_700_000_000_500);
    expect(c.username).toBe('1700000600:pt-42');
    // coturn's check, written out: base64(HMAC-SHA1(static-auth-secret, username)).
    expect(c.credential).toBe(createHmac('sha1', turn.secret).update('1700000600:pt-42').digest('base64'));
    expect(c.credential).not.toBe(
      turnCredentials({ ...turn, secret: 'another-secret-16ch' }, 'pt-42', 1_700_000_000_500).credential,
    );
    expect(c.urls).toEqual(turn.urls);
  });
});

describe('TURN configuration', () => {
  const base = { VISITA_SFU_SECRET: 'x'.repeat(16), VISITA_JWT_SECRET: 'j'.repeat(32) };
  it('is off by default, and read when given', () => {
    expect(loadSignalingConfig(base).turn).toBeUndefined();
    const c = loadSignalingConfig({
      ...base,
      VISITA_TURN_URLS: 'turn:1.2.3.4:3478?transport=udp, turns:turn.example:5349',
      VISITA_TURN_SECRET: 't'.repeat(16),
      VISITA_ICE_TRANSPORT_POLICY: 'relay',
    });
    expect(c.turn).toEqual({
      urls: ['turn:1.2.3.4:3478?transport=udp', 'turns:turn.example:5349'],
      secret: 't'.repeat(16),
      ttlS: 900,
    });
    expect(c.iceTransportPolicy).toBe('relay');
  });

  it('refuses half a configuration, a relay policy without TURN, and URLs that are not TURN', () => {
    for (const bad of [
      { VISITA_TURN_URLS: 'turn:1.2.3.4:3478' },
      { VISITA_TURN_SECRET: 't'.repeat(16) },
      { VISITA_ICE_TRANSPORT_POLICY: 'relay' },
      { VISITA_TURN_URLS: 'stun:1.2.3.4', VISITA_TURN_SECRET: 't'.repeat(16) },
      { VISITA_TURN_URLS: 'turn:1.2.3.4', VISITA_TURN_SECRET: 'short' },
      { VISITA_TURN_URLS: 'turn:1.2.3.4', VISITA_TURN_SECRET: 't'.repeat(16), VISITA_TURN_TTL_S: '10' },
      // Less than two renewals (a page in a call asks every 5 min), or longer than an hour.
      { VISITA_TURN_URLS: 'turn:1.2.3.4', VISITA_TURN_SECRET: 't'.repeat(16), VISITA_TURN_TTL_S: '599' },
      { VISITA_TURN_URLS: 'turn:1.2.3.4', VISITA_TURN_SECRET: 't'.repeat(16), VISITA_TURN_TTL_S: '14400' },
    ])
      expect(() => loadSignalingConfig({ ...base, ...bad }), JSON.stringify(bad)).toThrow(
        /invalid signaling configuration/,
      );
  });
});
