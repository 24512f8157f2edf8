// Contract: KV version 2 (mount secret/) and version 1 (a kv mount enabled by the test).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVELOPE_KEYS, targets, vaultClient, type VaultClient, type VaultTarget } from './testing';

for (const factory of targets()) {
  if (factory.skipReason) console.log(`[contract-kv] skipped "${factory.name}": ${factory.skipReason}`);

  describe.skipIf(factory.skipReason !== undefined)(`contract kv (${factory.name})`, () => {
    let target: VaultTarget;
    let v: VaultClient;
    beforeAll(async () => {
      target = await factory.start();
      v = vaultClient(target.address, target.rootToken);
      expect((await v.post('sys/mounts/kv1', { type: 'kv', options: { version: '1' } })).status).toBe(204);
    });
    afterAll(async () => {
      await target?.stop();
    });

    describe('v2', () => {
      it('write answers the version metadata; read answers data + metadata', async () => {
        const w = await v.post('secret/data/app/db', { data: { username: 'app', password: 'pw1' } });
        expect(w.status).toBe(200);
        for (const k of ENVELOPE_KEYS) expect(w.body).toHaveProperty(k);
        expect(w.body.data).toMatchObject({ version: 1, destroyed: false, deletion_time: '', custom_metadata: null });
        expect(Date.parse(w.body.data.created_time)).not.toBeNaN();
        const r = await v.get('secret/data/app/db');
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({ lease_id: '', lease_duration: 0, renewable: false });
        expect(r.body.data.data).toEqual({ username: 'app', password: 'pw1' });
        expect(r.body.data.metadata).toMatchObject({ version: 1, destroyed: false, deletion_time: '' });
      });

      it('versions: ?version=N reads an older one', async () => {
        await v.post('secret/data/ver', { data: { n: 1 } });
        await v.post('secret/data/ver', { data: { n: 2 } });
        expect((await v.get('secret/data/ver')).body.data.data).toEqual({ n: 2 });
        expect((await v.get('secret/data/ver?version=1')).body.data.data).toEqual({ n: 1 });
        expect((await v.get('secret/data/ver?version=9')).status).toBe(404);
      });

      it('check-and-set: cas must match the current version', async () => {
        expect((await v.post('secret/data/cas', { data: { a: 1 }, options: { cas: 0 } })).status).toBe(200);
        const again = await v.post('secret/data/cas', { data: { a: 2 }, options: { cas: 0 } });
        expect(again.status).toBe(400);
        expect(again.body.errors[0]).toMatch(/check-and-set parameter did not match the current version/);
        expect((await v.post('secret/data/cas', { data: { a: 2 }, options: { cas: 1 } })).body.data.version).toBe(2);
      });

      it('metadata lists the versions; LIST on metadata lists keys (LIST and ?list=true)', async () => {
        await v.post('secret/data/team/one', { data: { x: 1 } });
        await v.post('secret/data/team/sub/two', { data: { x: 2 } });
        const m = await v.get('secret/metadata/team/one');
        expect(m.status).toBe(200);
        expect(m.body.data).toMatchObject({
          current_version: 1,
          oldest_version: 1,
          cas_required: false,
          custom_metadata: null,
          delete_version_after: '0s',
        });
        expect(m.body.data.versions['1']).toMatchObject({ destroyed: false, deletion_time: '' });
        const listed = await v.list('secret/metadata/team');
        expect(listed.status).toBe(200);
        expect(listed.body.data.keys).toEqual(['one', 'sub/']);
        const viaGet = await v.get('secret/metadata/team/?list=true');
        expect(viaGet.body.data.keys).toEqual(['one', 'sub/']);
        expect((await v.list('secret/metadata/empty-dir')).status).toBe(404);
      });

      it('custom metadata and max_versions via metadata writes', async () => {
        await v.post('secret/data/meta', { data: { a: 1 } });
        expect(
          (await v.post('secret/metadata/meta', { max_versions: 2, custom_metadata: { owner: 'ops' } })).status,
        ).toBe(204);
        await v.post('secret/data/meta', { data: { a: 2 } });
        await v.post('secret/data/meta', { data: { a: 3 } });
        const m = await v.get('secret/metadata/meta');
        expect(m.body.data).toMatchObject({
          max_versions: 2,
          current_version: 3,
          oldest_version: 2,
          custom_metadata: { owner: 'ops' },
        });
        expect(Object.keys(m.body.data.versions).sort()).toEqual(['2', '3']);
      });

      it('DELETE soft-deletes the latest version: 404 with metadata; undelete restores; destroy is final', async () => {
        await v.post('secret/data/gone', { data: { a: 1 } });
        expect((await v.del('secret/data/gone')).status).toBe(204);
        const r = await v.get('secret/data/gone');
        expect(r.status).toBe(404);
        expect(r.body.data.data).toBeNull();
        expect(r.body.data.metadata.deletion_time).not.toBe('');
        expect((await v.post('secret/undelete/gone', { versions: [1] })).status).toBe(204);
        expect((await v.get('secret/data/gone')).body.data.data).toEqual({ a: 1 });
        expect((await v.put('secret/destroy/gone', { versions: [1] })).status).toBe(204);
        const d = await v.get('secret/data/gone');
        expect(d.status).toBe(404);
        expect(d.body.data.metadata.destroyed).toBe(true);
        expect((await v.del('secret/metadata/gone')).status).toBe(204);
        expect((await v.get('secret/metadata/gone')).status).toBe(404);
      });

      it('a missing secret → 404 {"errors": []}', async () => {
        const r = await v.get('secret/data/never/written');
        expect(r.status).toBe(404);
        expect(r.body).toEqual({ errors: [] });
      });

      it('bad writes → 400: no data, data not an object, bad cas type', async () => {
        expect((await v.post('secret/data/bad', { nodata: true })).status).toBe(400);
        expect((await v.post('secret/data/bad', { data: 'text' })).status).toBe(400);
        expect((await v.post('secret/data/bad', { data: { a: 1 }, options: { cas: 'x' } })).status).toBe(400);
      });
    });

    describe('v1', () => {
      it('POST → 204, GET → data, LIST → keys, DELETE → 204', async () => {
        expect((await v.post('kv1/app/config', { user: 'u', pass: 'p' })).status).toBe(204);
        const r = await v.get('kv1/app/config');
        expect(r.status).toBe(200);
        expect(r.body.data).toEqual({ user: 'u', pass: 'p' });
        expect(r.body.lease_id).toBe('');
        expect(r.body.renewable).toBe(false);
        const l = await v.list('kv1/app');
        expect(l.body.data.keys).toEqual(['config']);
        expect((await v.del('kv1/app/config')).status).toBe(204);
        const gone = await v.get('kv1/app/config');
        expect(gone.status).toBe(404);
        expect(gone.body).toEqual({ errors: [] });
      });

      it('a ttl key sets lease_duration as a refresh hint', async () => {
        await v.post('kv1/with-ttl', { value: 'x', ttl: '1h' });
        const r = await v.get('kv1/with-ttl');
        expect(r.body.lease_duration).toBe(3600);
        expect(r.body.lease_id).toBe('');
      });
    });
  });
}
