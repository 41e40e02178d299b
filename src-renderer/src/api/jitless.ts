/**
 * The console's CSP forbids eval. Unless told otherwise, zod probes `new Function` while it builds object
 * schemas, which the browser reports as a CSP violation even though zod catches the error. This module must
 * be imported before anything that loads the contract, so main.tsx imports it first.
 */
import { config } from 'zod';

config({ jitless: true });
