/**
 * Security policy URIs (OPC 10000-7 §6.6). Kept free of node-opcua so the policy layer can use
 * them without loading the codecs (start-up time of `otgate check` / `audit`).
 */
export const SECURITY_POLICY_NONE = 'http://opcfoundation.org/UA/SecurityPolicy#None';
