/** Read once from package.json at build time (vite inlines JSON imports) and from source in dev. */
import pkg from '../../package.json' with { type: 'json' };

export const APP_NAME: string = pkg.productName;
export const APP_VERSION: string = pkg.version;
