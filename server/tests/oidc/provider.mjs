// A real OpenID provider for UcClient's single sign-on tests and demo: the certified npm
// `oidc-provider` (installed in .tools/ by `cargo xtask setup`), on loopback only.
//
//   node provider.mjs PORT REDIRECT_URI [REDIRECT_URI...]
//
// PORT 0 picks a free port. Prints `issuer http://127.0.0.1:<port>` on stdout once it listens.
// One confidential client, `ucclient` / `ucclient-secret` (client_secret_basic), with the given
// redirect URIs; with UCCLIENT_PKJWT_JWKS_URI set, a second one, `ucclient-pkjwt`
// (private_key_jwt, RS256), whose public keys are read from that URL (UcClient's JWKS). Anyone signs in with any password through the development login form
// (devInteractions); the login is the account id and its email (`ana@acme.example`), and consent
// is given automatically for UcClient's client, so a test or a newcomer only types a login.
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const tools = process.env.UCCLIENT_TOOLS
  || path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..', '.tools');
const { default: Provider } = await import(
  require.resolve('oidc-provider', { paths: [tools] })
);

const [portArg, ...redirectUris] = process.argv.slice(2);
if (!portArg || redirectUris.length === 0) {
  console.error('usage: node provider.mjs PORT REDIRECT_URI [REDIRECT_URI...]');
  process.exit(2);
}

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(portArg), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const NAMES = { 'ana@acme.example': 'Ana Silva' };

const clients = [{
  client_id: 'ucclient',
  client_secret: 'ucclient-secret',
  redirect_uris: redirectUris,
  response_types: ['code'],
  grant_types: ['authorization_code'],
  token_endpoint_auth_method: 'client_secret_basic',
}];
if (process.env.UCCLIENT_PKJWT_JWKS_URI) {
  clients.push({
    client_id: 'ucclient-pkjwt',
    redirect_uris: redirectUris,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'RS256',
    jwks_uri: process.env.UCCLIENT_PKJWT_JWKS_URI,
  });
}

const provider = new Provider(issuer, {
  clients,
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  cookies: { keys: ['ucclient-test-provider-only'] },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id, email: id, email_verified: true, name: NAMES[id] ?? id.split('@')[0],
        };
      },
    };
  },
  // Consent given automatically to UcClient's client: the scopes and claims it asks for.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});
// Loopback http, for tests and the demo only.
provider.proxy = false;
server.on('request', provider.callback());
console.log(`issuer ${issuer}`);
// The one line read; later writes to a closed pipe must not end the provider.
process.stdout.on('error', () => {});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
