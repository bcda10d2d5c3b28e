// Runs suitescript/sns_user_event.js under Node with stand-ins for the N/ modules it uses
// (N/crypto on Node's own HMAC), and prints what its afterSubmit would post, as JSON.
// Usage: node suitescript_harness.js <script> <record type> <id> <context> <role> <engine role>
const crypto = require('crypto');
const [script, recordType, recordId, execContext, role, engineRole] = process.argv.slice(2);
const posted = [];
const modules = {
  'N/https': { post: (request) => { posted.push(request); return { code: 200 }; } },
  'N/encode': { Encoding: { UTF_8: 'utf8', HEX: 'hex' } },
  'N/crypto': {
    HashAlg: { SHA256: 'sha256' },
    createSecretKey: ({ secret }) => ({ secret }),
    createHmac: ({ algorithm, key }) => {
      const mac = crypto.createHmac(algorithm, key.secret);
      return {
        update: ({ input }) => mac.update(input, 'utf8'),
        digest: () => mac.digest('hex').toUpperCase(),
      };
    },
  },
  'N/runtime': {
    ContextType: { REST_WEBSERVICES: 'RESTWEBSERVICES', USER_INTERFACE: 'USERINTERFACE' },
    executionContext: execContext,
    getCurrentUser: () => ({ role: role }),
    getCurrentScript: () => ({
      getParameter: ({ name }) => ({
        custscript_sns_url: 'http://engine.test/webhooks/netsuite/main',
        custscript_sns_secret: 'push-secret',
        custscript_sns_engine_role: engineRole,
      })[name],
    }),
  },
  'N/log': { audit: () => {}, error: (e) => posted.push({ error: e }) },
};
let entry;
global.define = (deps, factory) => { entry = factory(...deps.map((d) => modules[d])); };
require(require('path').resolve(script));
entry.afterSubmit({
  type: 'edit',
  UserEventType: { DELETE: 'delete', EDIT: 'edit' },
  newRecord: { type: recordType, id: recordId },
});
process.stdout.write(JSON.stringify(posted));
