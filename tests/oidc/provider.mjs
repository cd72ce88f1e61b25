// A real OpenID provider for Confab's single sign-on tests: panva's oidc-provider (OpenID
// Certified), with its development login form (any password), test clients and users.
//
//   node tests/oidc/provider.mjs CONFIG.json
//
// CONFIG: { "clients": [{ "client_id", "client_secret", "redirect_uris": [...],
//           "post_logout_redirect_uris": [...] }],
//           "users": { "<login>": { "email", "name", "groups": [...] } } }
// It listens on a free port of 127.0.0.1 and prints `oidc-provider listening on <issuer>`.
// Tests change users while it runs: `PUT /_test/users/<login>` with a JSON body of claims
// (this test hook is the only addition; everything else is the library's own behaviour).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const users = new Map(Object.entries(config.users ?? {}));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: config.clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    redirect_uris: c.redirect_uris,
    post_logout_redirect_uris: c.post_logout_redirect_uris ?? [],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: c.client_secret ? 'client_secret_basic' : 'none',
  })),
  jwks: { keys: [jwk] },
  cookies: { keys: [randomUUID()] },
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
  // Scope claims go into the ID token itself (as Keycloak, Entra ID and Okta put them there).
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  // First-party clients: no consent screen.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const grant = await ctx.oidc.provider.Grant.find(grantId);
      if (grant) return grant;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
  async findAccount(ctx, id) {
    const user = users.get(id);
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        const current = users.get(id) ?? user;
        return { sub: id, email_verified: true, ...current };
      },
    };
  },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
});
provider.on('server_error', (ctx, err) => console.error('oidc-provider server_error', err));

provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/_test\/users\/([^/]+)$/);
  if (m && ctx.method === 'PUT') {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    users.set(decodeURIComponent(m[1]), JSON.parse(Buffer.concat(chunks).toString('utf8')));
    ctx.status = 204;
    return;
  }
  await next();
});

server.on('request', provider.callback());
console.log(`oidc-provider listening on ${issuer}`);
process.on('SIGTERM', () => process.exit(0));
