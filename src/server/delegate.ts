// Stand-ins for fetch's own classes (node-request.ts's Request over an IncomingMessage,
// whole-response.ts's Response over bytes in memory): each answers the common questions itself and
// builds the real object only when something else is asked. This wires up that "something else".
import { inspect } from "node:util";

/**
 * Makes `Stand.prototype` pass for `Real.prototype`: every accessor and method of the real
 * prototype that the stand-in does not define itself is forwarded to `realOf(this)` (the real
 * object, built on first use); so is `util.inspect`; and `instanceof Real` holds. The real
 * prototype's accessors check that they are called on a real object, hence the forwarding.
 * Whatever a later version of fetch adds to the real prototype is forwarded too.
 */
export function delegateToReal<Stand extends object>(
  stand: { prototype: Stand },
  real: { prototype: object },
  realOf: (self: Stand) => object,
): void {
  const own = new Set(Object.getOwnPropertyNames(stand.prototype));
  for (const name of Object.getOwnPropertyNames(real.prototype)) {
    if (name === "constructor" || own.has(name)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(real.prototype, name);
    if (!descriptor) continue;
    if (descriptor.get) {
      Object.defineProperty(stand.prototype, name, {
        get(this: Stand) {
          return Reflect.get(realOf(this), name);
        },
        configurable: true,
      });
    } else if (typeof descriptor.value === "function") {
      Object.defineProperty(stand.prototype, name, {
        value(this: Stand, ...args: unknown[]) {
          const target = realOf(this);
          return (Reflect.get(target, name) as (...a: unknown[]) => unknown).apply(target, args);
        },
        configurable: true,
        writable: true,
      });
    }
  }
  Object.defineProperty(stand.prototype, inspect.custom, {
    value(this: Stand, depth: number, options: object) {
      return inspect(realOf(this), { ...options, depth });
    },
  });
  Object.setPrototypeOf(stand.prototype, real.prototype);
}
