// The credential wait a connection card shows: the median of the last clients' waits.
import { describe, expect, it } from 'vitest';
import { createWaitTimes } from './observed-credentials';

describe('credential wait times', () => {
  it('reports the median of the last ones kept, none before the first', () => {
    const waits = createWaitTimes(3);
    expect(waits.median()).toBeUndefined();
    waits.record(10);
    waits.record(30);
    expect(waits.median()).toBe(20);
    waits.record(2000); // an outlier moves the median little
    expect(waits.median()).toBe(30);
    waits.record(12.34); // the oldest (10) drops out: 30, 2000, 12.34
    expect(waits.median()).toBe(30);
    waits.record(15);
    waits.record(16); // 12.34, 15, 16
    expect(waits.median()).toBe(15);
  });
});
