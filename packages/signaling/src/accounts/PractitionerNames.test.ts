import { describe, expect, it } from 'vitest';
import { PractitionerNames } from './PractitionerNames.ts';

describe('PractitionerNames', () => {
  it('looks a name up once a minute, stays bounded, and never fails a view', async () => {
    let now = 0;
    const asked: string[] = [];
    let failing = false;
    const names = new PractitionerNames(
      async (id) => {
        asked.push(id);
        if (failing) throw new Error('redis down');
        return id === 'pr-1' ? 'Dr. Martin' : null;
      },
      { ttlMs: 60_000, max: 2, now: () => now },
    );
    expect(await names.get('pr-1')).toBe('Dr. Martin');
    expect(await names.get('pr-1')).toBe('Dr. Martin');
    expect(asked).toEqual(['pr-1']);
    now = 60_000;
    failing = true;
    expect(await names.get('pr-1')).toBe('Dr. Martin'); // the last known name while the store fails
    expect(await names.get('pr-x')).toBeNull();
    failing = false;
    await names.get('pr-2'); // a third entry clears the cache (max 2)
    now = 60_001;
    await names.get('pr-1');
    expect(asked).toEqual(['pr-1', 'pr-1', 'pr-x', 'pr-2', 'pr-1']);
  });
});
