/**
 * stripe-netsuite: tells the engine which records changed, as they change.
 *
 * A user event script (SuiteScript 2.1) to deploy on Invoice, Credit Memo and Customer.
 * After each create, edit, void or payment it posts the record's type and internal id,
 * and nothing else, to the engine's `/webhooks/netsuite/<account>` route, signed with
 * HMAC-SHA256 like Stripe's webhooks:
 *
 *   X-SNS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *   body: {"id": "<delivery id>", "records": [{"type": "invoice", "id": "123"}]}
 *
 * The push only makes a change arrive sooner: the engine's SuiteQL poll finds it anyway,
 * so a failed post is logged and dropped, never retried in the user's save.
 *
 * Script parameters (Customization > Scripting > Scripts > this script > Parameters):
 *   custscript_sns_url            the engine's URL, e.g. https://sync.example.com/webhooks/netsuite/main
 *   custscript_sns_secret         the push secret (from_netsuite.push_secret); a password field
 *   custscript_sns_engine_role    internal id of the role the engine's integration logs in
 *                                 with: its own REST writes are not pushed back to it
 *
 * @NApiVersion 2.1
 * @NScriptType UserEventScript
 * @NModuleScope SameAccount
 */
define(['N/https', 'N/crypto', 'N/encode', 'N/runtime', 'N/log'], (https, crypto, encode, runtime, log) => {
    const TYPES = { invoice: 'invoice', creditmemo: 'creditMemo', customer: 'customer' };

    const hmacHex = (secret, message) => {
        // N/crypto keys come from a secret (a GUID) or, as here, from the parameter's text.
        const key = crypto.createSecretKey({
            secret: secret,
            encoding: encode.Encoding.UTF_8,
        });
        const hmac = crypto.createHmac({ algorithm: crypto.HashAlg.SHA256, key: key });
        hmac.update({ input: message, inputEncoding: encode.Encoding.UTF_8 });
        return hmac.digest({ outputEncoding: encode.Encoding.HEX }).toLowerCase();
    };

    const afterSubmit = (context) => {
        if (context.type === context.UserEventType.DELETE) {
            return;
        }
        const script = runtime.getCurrentScript();
        const engineRole = String(script.getParameter({ name: 'custscript_sns_engine_role' }) || '');
        const user = runtime.getCurrentUser();
        if (runtime.executionContext === runtime.ContextType.REST_WEBSERVICES
            && engineRole && String(user.role) === engineRole) {
            // The engine's own write (a Stripe id or URL written back): it queues nothing.
            return;
        }
        const type = TYPES[String(context.newRecord.type).toLowerCase()];
        if (!type) {
            return;
        }
        const url = script.getParameter({ name: 'custscript_sns_url' });
        const secret = script.getParameter({ name: 'custscript_sns_secret' });
        if (!url || !secret) {
            log.audit({ title: 'stripe-netsuite', details: 'push not configured' });
            return;
        }
        const delivery = `${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
        const body = JSON.stringify({ id: delivery, records: [{ type: type, id: String(context.newRecord.id) }] });
        const stamp = Math.floor(Date.now() / 1000);
        const signature = `t=${stamp},v1=${hmacHex(secret, `${stamp}.${body}`)}`;
        try {
            const response = https.post({
                url: url,
                body: body,
                headers: { 'Content-Type': 'application/json', 'X-SNS-Signature': signature },
            });
            if (response.code >= 300) {
                log.error({ title: 'stripe-netsuite push refused', details: `${response.code}` });
            }
        } catch (e) {
            log.error({ title: 'stripe-netsuite push failed', details: e.message });
        }
    };

    return { afterSubmit };
});
