// node-oidc-provider as a peer of latchkeyd's POST /oauth/token (client
// credentials grant) and POST /oauth/introspect, for bench/run.sh.
//
//   node server.mjs PORT READY_FILE
//
// Environment: BENCH_OIDC_CLIENT_ID, BENCH_OIDC_CLIENT_SECRET (the one client).
// The provider keeps its defaults except what these two endpoints need: the
// default in-memory adapter (an LRU of 1000 entries, in this process only), one
// confidential client with the client_credentials grant and
// client_secret_basic, the clientCredentials and introspection features, the
// two routes at latchkeyd's paths, and an access-token lifetime of 3600 s like
// latchkeyd's oauth_access_token_ttl. Its tokens are opaque (no resource
// indicator), so an introspection looks the token up in the adapter. One Node
// process: the in-memory adapter cannot be shared by a cluster of processes.
// When it listens, it writes its base URL to READY_FILE.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const [port, readyFile] = process.argv.slice(2);
const clientId = process.env.BENCH_OIDC_CLIENT_ID;
const clientSecret = process.env.BENCH_OIDC_CLIENT_SECRET;
if (!port || !readyFile || !clientId || !clientSecret) {
  console.error('usage: BENCH_OIDC_CLIENT_ID=... BENCH_OIDC_CLIENT_SECRET=... node server.mjs PORT READY_FILE');
  process.exit(2);
}

const base = `http://127.0.0.1:${port}`;
// A signing key generated at start (not the provider's development keys);
// opaque client-credentials tokens are not signed with it.
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' };

const provider = new Provider(base, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',  // the only algorithm of the key below
  }],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
  },
  enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
  jwks: { keys: [jwk] },
  routes: { token: '/oauth/token', introspection: '/oauth/introspect' },
  ttl: { ClientCredentials: 3600 },
});

const server = http.createServer(provider.callback());
server.keepAliveTimeout = 60_000;  // wrk's connections stay open for the whole run
server.listen(Number(port), '127.0.0.1', () => {
  writeFileSync(readyFile, `${base}\n`);
  console.log(`oidc-provider listening on ${base}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
