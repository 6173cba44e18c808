export { createJwtAuthDocument } from './jwt-auth-document.js';
export type { JwtAuthDocumentOptions } from './jwt-auth-document.js';
