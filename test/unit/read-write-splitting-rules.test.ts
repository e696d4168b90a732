/**
 * The pure decisions of readWriteSplitting (src/plugins/read-write-splitting/switch-rules.ts):
 * when a kept side may be switched to, the failover mode of each side, the no-reader fallback,
 * and what transferSessionStateOnSwitch carries (never read-only).
 */
import { describe, expect, it } from 'vitest';
import { makeHost, withRole } from '../../src/drivers/host-info.js';
import {
  carriedSession,
  failoverModeForSide,
  noReaderAction,
  sessionKey,
  sideUsable,
} from '../../src/plugins/read-write-splitting/switch-rules.js';

const writer = withRole(makeHost('w.example', 5432), 'writer');
const reader = withRole(makeHost('r.example', 5432), 'reader');
const endpoint = makeHost('db.cluster-abc.us-east-1.rds.amazonaws.com', 5432);

describe('sideUsable', () => {
  it('an open side on an instance of its role is kept; closed, absent or role-changed is not', () => {
    const hosts = [writer, reader];
    expect(sideUsable({ closed: false, host: reader }, 'reader', hosts)).toBe(true);
    expect(sideUsable({ closed: true, host: reader }, 'reader', hosts)).toBe(false);
    expect(sideUsable(undefined, 'reader', hosts)).toBe(false);
    // The reader was promoted: the kept "reader" is on the writer now.
    const promoted = [withRole(reader, 'writer'), withRole(writer, 'reader')];
    expect(sideUsable({ closed: false, host: reader }, 'reader', promoted)).toBe(false);
    expect(sideUsable({ closed: false, host: writer }, 'writer', promoted)).toBe(false);
  });

  it('a side on a host the topology does not name (a cluster endpoint) is kept while open', () => {
    expect(sideUsable({ closed: false, host: endpoint }, 'writer', [writer, reader])).toBe(true);
    expect(sideUsable({ closed: true, host: endpoint }, 'writer', [writer, reader])).toBe(false);
  });
});

describe('failoverModeForSide', () => {
  it('the writer side fails over as the writer whatever failoverMode says; the reader side in a reader mode', () => {
    expect(failoverModeForSide('writer', undefined)).toBe('strict-writer');
    expect(failoverModeForSide('writer', 'strict-reader')).toBe('strict-writer');
    expect(failoverModeForSide('writer', 'reader-or-writer')).toBe('strict-writer');
    expect(failoverModeForSide('reader', undefined)).toBe('reader-or-writer');
    expect(failoverModeForSide('reader', 'strict-writer')).toBe('reader-or-writer');
    expect(failoverModeForSide('reader', 'strict-reader')).toBe('strict-reader');
  });
});

describe('noReaderAction', () => {
  it('falls back to the writer by default; strict-reader fails when the cluster has readers', () => {
    expect(noReaderAction(undefined, 2)).toBe('fallback');
    expect(noReaderAction('reader-or-writer', 2)).toBe('fallback');
    expect(noReaderAction('strict-reader', 2)).toBe('fail');
    // A single-instance cluster: its writer is its only instance, as strict-reader failover has it.
    expect(noReaderAction('strict-reader', 0)).toBe('fallback');
  });
});

describe('carriedSession / sessionKey', () => {
  it('carries API state with the reported state winning, never read-only', () => {
    const state = carriedSession(
      { autocommit: false, isolationLevel: 'serializable', schema: 'a', readOnly: true },
      {
        schema: 'b',
        readOnly: false,
        parameters: { TimeZone: 'UTC', default_transaction_read_only: 'on' },
      },
    );
    expect(state).toEqual({
      autocommit: false,
      isolationLevel: 'serializable',
      schema: 'b',
      parameters: { TimeZone: 'UTC' },
    });
  });

  it('nothing recorded, nothing reported: an empty state', () => {
    expect(carriedSession({}, {})).toEqual({});
  });

  it('keys are equal for equal states whatever the key order, different otherwise', () => {
    expect(sessionKey({ schema: 'a', autocommit: true })).toBe(sessionKey({ autocommit: true, schema: 'a' }));
    expect(sessionKey({ parameters: { A: '1', B: '2' } })).toBe(
      sessionKey({ parameters: { B: '2', A: '1' } }),
    );
    expect(sessionKey({ schema: 'a' })).not.toBe(sessionKey({ schema: 'b' }));
    expect(sessionKey({})).not.toBe(sessionKey({ parameters: { TimeZone: 'UTC' } }));
  });
});
