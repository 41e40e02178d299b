import type { MethodName, Output, ParsedInput } from './contract.js';
import type { Services } from '../platform/services.js';

export type HandlerOf<M extends MethodName> = (input: ParsedInput<M>, s: Services) => Promise<Output<M>> | Output<M>;
/** The handlers of one domain: exactly the methods that domain declares, each typed from the contract. */
export type HandlersFor<K extends MethodName> = { [M in K]: HandlerOf<M> };
