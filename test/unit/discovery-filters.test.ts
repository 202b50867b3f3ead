/**
 * The pure parts of machine-group discovery filters: IP range parsing and its bounds, and the
 * per-category name checks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DiscoveryFilterError, MAX_IP_RANGE_ADDRESSES, normaliseFilterName, parseIpRange } from '../../src/scans/discovery-filters.js';

describe('parseIpRange', () => {
  it('reads first-last ranges, with spaces, as numbers', () => {
    assert.deepEqual(parseIpRange('10.0.0.1-10.0.0.3', 'f'), { first: 0x0a000001, last: 0x0a000003 });
    assert.deepEqual(parseIpRange(' 255.255.255.255 - 255.255.255.255 ', 'f'), { first: 0xffffffff, last: 0xffffffff });
  });

  it('accepts exactly 65,536 addresses and refuses one more, naming both numbers', () => {
    const { first, last } = parseIpRange('10.0.0.0-10.0.255.255', 'f');
    assert.equal(last - first + 1, MAX_IP_RANGE_ADDRESSES);
    assert.throws(() => parseIpRange('10.0.0.0-10.1.0.0', 'f'), (error: unknown) =>
      error instanceof DiscoveryFilterError && error.field === 'f' && /65537 addresses; at most 65536/.test(error.message));
    assert.throws(() => parseIpRange('0.0.0.0-255.255.255.255', 'f'), /4294967296 addresses/);
  });

  it('refuses reversed, one-sided, IPv6 and malformed ranges', () => {
    assert.throws(() => parseIpRange('10.0.0.2-10.0.0.1', 'f'), /ends before it starts/);
    assert.throws(() => parseIpRange('10.0.0.2-', 'f'), /first-last/);
    assert.throws(() => parseIpRange('10.0.0.1-10.0.0.2-10.0.0.3', 'f'), /first-last/);
    assert.throws(() => parseIpRange('::1-::5', 'f'), /first-last|IPv6/);
    assert.throws(() => parseIpRange('2001:db8::1-2001:db8::2', 'f'), /IPv6/);
    assert.throws(() => parseIpRange('10.0.0.256-10.0.1.1', 'f'), /not an IPv4 address/);
    assert.throws(() => parseIpRange('010.0.0.1-10.0.0.2', 'f'), /not an IPv4 address/);
  });
});

describe('normaliseFilterName', () => {
  it('normalises ranges and domains, keeps names and addresses', () => {
    assert.equal(normaliseFilterName('IPRange', '192.0.2.1 -192.0.2.9', 'f'), '192.0.2.1-192.0.2.9');
    assert.equal(normaliseFilterName('DomainName', 'corp.example.', 'f'), 'corp.example');
    assert.equal(normaliseFilterName('MachineName', 'Web-01.corp.example', 'f'), 'Web-01.corp.example');
    assert.equal(normaliseFilterName('IPAddress', '2001:db8::1', 'f'), '2001:db8::1');
  });

  it('refuses names that no collector could reach', () => {
    for (const name of ['bad name', '-leading.example', 'a..b', 'x'.repeat(64), 'semi;colon']) {
      assert.throws(() => normaliseFilterName('MachineName', name, 'f'), /not a valid machine name/, name);
    }
    assert.throws(() => normaliseFilterName('IPAddress', '1.2.3', 'f'), /not an IPv4 or IPv6 address/);
    assert.throws(() => normaliseFilterName('DomainName', 'under score?', 'f'), /not a valid DNS domain/);
  });
});
