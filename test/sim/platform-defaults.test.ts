import { describe, expect, it } from 'vitest';
import type { Geo } from '../../src/sim/api.ts';
import { decodeGeoHeader, DEFAULT_GEO, encodeGeoHeader, frozenGeo } from '../../src/sim/platform-defaults.ts';

describe('x-nf-geo', () => {
  it('round-trips a geo through the header', () => {
    expect(decodeGeoHeader(encodeGeoHeader(DEFAULT_GEO))).toEqual(DEFAULT_GEO);
  });

  it("encodes a caller's own geo as it is at each call, even when the same object changed in between", () => {
    const geo: Geo = { city: 'Lisbon', country: { code: 'PT', name: 'Portugal' } };
    const first = decodeGeoHeader(encodeGeoHeader(geo));
    geo.city = 'Porto';
    expect(first?.city).toBe('Lisbon');
    expect(decodeGeoHeader(encodeGeoHeader(geo))?.city).toBe('Porto');
  });

  it('freezes a shared geo to the bottom, so the encoding kept for it stays true', () => {
    const geo = frozenGeo({ city: 'Mock City', country: { code: 'NZ', name: 'Mock Country' } });
    expect(Object.isFrozen(geo)).toBe(true);
    expect(Object.isFrozen(geo.country)).toBe(true);
    expect(Object.isFrozen(DEFAULT_GEO.subdivision)).toBe(true);
    expect(encodeGeoHeader(geo)).toBe(encodeGeoHeader(geo));
  });
});
