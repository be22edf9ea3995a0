// A real OpenID Connect provider for lsweb's tests: panva's oidc-provider with one confidential client
// and a few accounts, on 127.0.0.1. Not for production: accounts sign in by e-mail with no password.
//
//   node server.mjs --port 4000 --client-id lsweb --client-secret s3cret \
//     --redirect-uri http://127.0.0.1:5000/login/oidc/callback \
//     --accounts '[{"email": "ana@alder.example", "email_verified": true, "name": "Ana Silva"}]'
//
// (or OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI, OIDC_ACCOUNTS; --other-client
// id:secret, or OIDC_OTHER_CLIENT, registers a second application with the same redirect URI). The login page
// (GET /interaction/<uid>) is a plain form with one field, `login` (an account's e-mail); posting it
// signs the account in and grants what lsweb asked for (no consent page), so a plain HTTP client
// following redirects completes the flow. An account whose "email_verified" is null sends no such claim.
// Prints "oidc-provider listening on <issuer>" once it accepts connections.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.OIDC_PORT },
    'client-id': { type: 'string', default: process.env.OIDC_CLIENT_ID },
    'client-secret': { type: 'string', default: process.env.OIDC_CLIENT_SECRET },
    'redirect-uri': { type: 'string', default: process.env.OIDC_REDIRECT_URI },
    accounts: { type: 'string', default: process.env.OIDC_ACCOUNTS || '[]' },
    // another application of the same school ("id:secret", same redirect URI): its ID tokens are not lsweb's
    'other-client': { type: 'string', default: process.env.OIDC_OTHER_CLIENT },
  },
});
for (const name of ['port', 'client-id', 'client-secret', 'redirect-uri']) {
  if (!args[name]) {
    console.error(`--${name} is required`);
    process.exit(2);
  }
}

const accounts = new Map(JSON.parse(args.accounts).map((account) => [account.email.toLowerCase(), account]));
const issuer = `http://127.0.0.1:${args.port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

const client = (id, secret) => ({
  client_id: id,
  client_secret: secret,
  redirect_uris: [args['redirect-uri']],
  response_types: ['code'],
  grant_types: ['authorization_code'],
});
const clients = [client(args['client-id'], args['client-secret'])];
if (args['other-client']) {
  const [id, ...secret] = args['other-client'].split(':');
  clients.push(client(id, secret.join(':')));
}

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [randomBytes(16).toString('hex')] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false, // the e-mail in the ID token, as Entra ID and Google send it
  pkce: { required: () => true }, // a client that sends no S256 code_challenge is refused
  features: { devInteractions: { enabled: false } },
  async findAccount(ctx, id) {
    const account = accounts.get(id);
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        const claims = { sub: id, email: account.email, name: account.name };
        if (account.email_verified !== null && account.email_verified !== undefined) {
          claims.email_verified = account.email_verified;
        }
        return claims;
      },
    };
  },
});

const escape = (text) => String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;
  if (prompt.name === 'login') {
    if (req.method === 'POST') {
      const login = ((await readForm(req)).get('login') || '').trim().toLowerCase();
      if (accounts.has(login)) {
        await provider.interactionFinished(req, res, { login: { accountId: login } },
          { mergeWithLastSubmission: false });
        return;
      }
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Test provider</title><form method="post" action="/interaction/${escape(uid)}">
<label>E-mail <input name="login"></label><button>Sign in</button></form>`);
    return;
  }
  // consent: grant what the client asked for
  const grant = details.grantId ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const handle = provider.callback();
const server = createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((error) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`interaction failed: ${error.message}`);
    });
    return;
  }
  handle(req, res);
});
server.listen(Number(args.port), '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
