import { describe, expect, it } from 'vitest';
import { validateInSourceConfig } from '../../src/sim/config-schema.ts';
import { effectiveConfig, settingsFor } from '../../src/sim/function-settings.ts';

describe('in-source config validation (zip-it-and-ship-it in_source_config schema)', () => {
  it('normalises what Netlify accepts: single values become arrays, methods upper case, memory in MB', () => {
    expect(
      validateInSourceConfig('f', {
        path: '/a/:id',
        excludedPath: ['/a/private'],
        method: 'get',
        preferStatic: true,
        schedule: '@hourly',
        background: true,
        memory: '2gb',
        nodeBundler: 'esbuild',
        externalNodeModules: ['sharp'],
        includedFiles: ['data/**'],
        unknownKey: 1,
      }),
    ).toEqual({
      path: ['/a/:id'],
      excludedPath: ['/a/private'],
      method: ['GET'],
      preferStatic: true,
      schedule: '@hourly',
      background: true,
      memoryMb: 2048,
      nodeBundler: 'esbuild',
      externalNodeModules: ['sharp'],
      includedFiles: ['data/**'],
    });
  });

  it('fails where a deploy fails, with its message', () => {
    expect(() => validateInSourceConfig('f', { path: 'no-slash' })).toThrow("Function f has a configuration error on 'path': Must start with a '/'");
    expect(() => validateInSourceConfig('f', { path: 42 })).toThrow("configuration error on 'path': Must be a string or array of strings");
    expect(() => validateInSourceConfig('f', { excludedPath: ['/ok', 'bad'] })).toThrow("configuration error on 'excludedPath'");
    expect(() => validateInSourceConfig('f', { method: ['GET', 'FETCH'] })).toThrow("configuration error on 'method'");
    expect(() => validateInSourceConfig('f', { memory: 512 })).toThrow("configuration error on 'memory'");
    expect(() => validateInSourceConfig('f', { path: '/(' })).toThrow('is not a valid path according to the URLPattern specification');
    expect(() => validateInSourceConfig('f', { path: '/x' })).not.toThrow();
    expect(() => validateInSourceConfig('f', 'a string')).toThrow("configuration error on 'config'");
  });

  it('drops what the schema catches instead of failing', () => {
    expect(validateInSourceConfig('f', { preferStatic: 'yes', background: 1, schedule: 5, nodeBundler: 'webpack', rateLimit: { windowLimit: 'x' } })).toEqual({});
    expect(validateInSourceConfig('f', { externalNodeModules: 'sharp', includedFiles: [1] })).toEqual({ externalNodeModules: [], includedFiles: [] });
  });

  it('reads rateLimit with the platform defaults: rate_limit, aggregated by domain unless an array says otherwise', () => {
    expect(validateInSourceConfig('f', { rateLimit: { windowLimit: 5, windowSize: 60 } }).rateLimit).toEqual({
      windowLimit: 5,
      windowSize: 60,
      aggregateBy: ['domain'],
      action: 'rate_limit',
    });
    expect(validateInSourceConfig('f', { rateLimit: { windowLimit: 5, windowSize: 60, aggregateBy: ['ip', 'domain'], action: 'rewrite', to: '/busy' } }).rateLimit).toEqual({
      windowLimit: 5,
      windowSize: 60,
      aggregateBy: ['ip', 'domain'],
      action: 'rewrite',
      to: '/busy',
    });
    // A single string is accepted by the schema, and getTrafficRulesConfig then aggregates by domain.
    expect(validateInSourceConfig('f', { rateLimit: { windowLimit: 1, windowSize: 1, aggregateBy: 'ip' } }).rateLimit?.aggregateBy).toEqual(['domain']);
  });
});

describe('netlify.toml settings merged with in-source config', () => {
  const settings = {
    '*': { externalNodeModules: ['a'], nodeBundler: 'zisi', includedFiles: ['shared/**'] },
    'api-*': { externalNodeModules: ['b'], schedule: '@daily' },
    'api-users': { nodeBundler: 'esbuild', schedule: '@hourly' },
  };

  it('applies every matching table, the more literal the later, concatenating arrays', () => {
    expect(settingsFor('api-users', settings)).toEqual({ externalNodeModules: ['a', 'b'], nodeBundler: 'esbuild', includedFiles: ['shared/**'], schedule: '@hourly' });
    expect(settingsFor('api-orders', settings)).toEqual({ externalNodeModules: ['a', 'b'], nodeBundler: 'zisi', includedFiles: ['shared/**'], schedule: '@daily' });
    expect(settingsFor('other', settings)).toEqual({ externalNodeModules: ['a'], nodeBundler: 'zisi', includedFiles: ['shared/**'] });
    expect(settingsFor('other', undefined)).toEqual({});
  });

  it('lays in-source config over them; in-source includedFiles replace the toml ones and are relative to the function', () => {
    const config = effectiveConfig('api-users', '/site/netlify/functions/api-users.mts', settings, {
      externalNodeModules: ['c'],
      schedule: '*/5 * * * *',
      includedFiles: ['templates/*'],
    });
    expect(config).toEqual({
      externalNodeModules: ['a', 'b', 'c'],
      nodeBundler: 'esbuild',
      schedule: '*/5 * * * *',
      includedFiles: ['templates/*'],
      includedFilesBasePath: '/site/netlify/functions',
    });
  });

  it('makes a -background function a background function', () => {
    expect(effectiveConfig('report-background', '/f/report-background.mjs', undefined, {}).background).toBe(true);
    expect(effectiveConfig('report', '/f/report.mjs', undefined, {}).background).toBeUndefined();
  });
});

describe('native module detection (zip-it-and-ship-it isNativeModule)', async () => {
  const { isNativeModule, runtimeProvidedModules } = await import('../../src/sim/bundle-externals.ts');

  it('follows the platform rules: binary, gypfile, a marker dependency, or a .node file in files', () => {
    expect(isNativeModule({ gypfile: true })).toBe(true);
    expect(isNativeModule({ binary: { module_name: 'x' } })).toBe(true);
    expect(isNativeModule({ dependencies: { 'node-gyp-build': '^4' } })).toBe(true);
    expect(isNativeModule({ devDependencies: { prebuild: '^1' } })).toBe(true);
    expect(isNativeModule({ files: ['lib/', 'build/Release/addon.node'] })).toBe(true);
    expect(isNativeModule({ files: ['!build/addon.node'] })).toBe(false);
    expect(isNativeModule({ dependencies: { lodash: '4' } })).toBe(false);
  });

  it('knows which AWS SDK the runtime provides', () => {
    expect(runtimeProvidedModules(24)).toEqual(['@aws-sdk/*']);
    expect(runtimeProvidedModules(16)).toEqual(['aws-sdk']);
  });
});
