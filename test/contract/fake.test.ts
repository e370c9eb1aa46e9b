// Runs the IPVS contract on the in-memory fake on every `make check`.
import { FakeIpvs } from '../../src/ipvs/index.js';
import { runIpvsContract } from './ipvs.contract.js';

runIpvsContract('fake', async () => new FakeIpvs({ interfaces: ['ldsync0'] }), { syncInterface: 'ldsync0' });
