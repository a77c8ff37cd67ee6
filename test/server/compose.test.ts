import { describe, expect, it } from "vitest";
import { compose, type Middleware } from "../../src/server/compose.js";
import { RequestContext } from "../../src/server/context.js";
import { HttpError } from "../../src/server/http-error.js";

function run(chain: ReturnType<typeof compose>, url = "http://localhost/"): Promise<Response> {
  const request = new Request(url);
  return chain(request, new RequestContext(request));
}

function tracer(name: string, trail: string[]): Middleware {
  return async function trace(_request, _context, next) {
    trail.push(`${name} in`);
    const response = await next();
    trail.push(`${name} out`);
    return response;
  };
}

describe("compose", () => {
  it("runs middleware in order on the way in and in reverse on the way out", async () => {
    const trail: string[] = [];
    const chain = compose([tracer("a", trail), tracer("b", trail)], () => {
      trail.push("handler");
      return new Response("ok");
    });
    const response = await run(chain);
    expect(await response.text()).toBe("ok");
    expect(trail).toEqual(["a in", "b in", "handler", "b out", "a out"]);
  });

  it("lets a middleware answer without calling next, and change the answer of next", async () => {
    const gate: Middleware = async (request, _context, next) =>
      new URL(request.url).pathname === "/blocked" ? new Response("no", { status: 403 }) : next();
    const stamp: Middleware = async (_request, _context, next) => {
      const response = await next();
      response.headers.set("x-stamp", "1");
      return response;
    };
    let handled = 0;
    const chain = compose([stamp, gate], () => {
      handled += 1;
      return new Response("yes");
    });
    const blocked = await run(chain, "http://localhost/blocked");
    expect(blocked.status).toBe(403);
    expect(blocked.headers.get("x-stamp")).toBe("1");
    expect((await run(chain)).status).toBe(200);
    expect(handled).toBe(1);
  });

  it("turns an error into onError's answer where it is thrown, so outer middleware see it", async () => {
    const seen: number[] = [];
    const outer: Middleware = async (_request, _context, next) => {
      const response = await next();
      seen.push(response.status);
      return response;
    };
    const errors: unknown[] = [];
    const chain = compose(
      [outer],
      () => {
        throw new Error("boom");
      },
      (error) => {
        errors.push(error);
        return new Response("sorry", { status: 500 });
      },
    );
    const response = await run(chain);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("sorry");
    expect(seen).toEqual([500]);
    expect((errors[0] as Error).message).toBe("boom");
  });

  it("answers a thrown HttpError with its own response, without onError", async () => {
    let onErrorCalls = 0;
    const chain = compose(
      [],
      () => {
        throw new HttpError(418, { response: new Response("teapot", { status: 418 }) });
      },
      () => {
        onErrorCalls += 1;
        return new Response("", { status: 500 });
      },
    );
    const response = await run(chain);
    expect(response.status).toBe(418);
    expect(await response.text()).toBe("teapot");
    expect(onErrorCalls).toBe(0);
    const plain = compose([], () => {
      throw new HttpError(404, { message: "No such thing" });
    });
    const notFound = await run(plain);
    expect(notFound.status).toBe(404);
    expect(await notFound.text()).toBe("No such thing");
  });

  it("the default error handler is a bare 500 that does not leak the message", async () => {
    const chain = compose([], () => {
      throw new Error("secret detail");
    });
    const response = await run(chain);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("Internal Server Error");
  });

  it("handles a middleware that throws (and values that are not Errors)", async () => {
    const bad: Middleware = async () => {
      throw "not an error";
    };
    const chain = compose(
      [bad],
      () => new Response("unreached"),
      (error) => new Response(String(error), { status: 500 }),
    );
    expect(await (await run(chain)).text()).toBe("not an error");
  });

  it("refuses a second call of next()", async () => {
    const twice: Middleware = async (_request, _context, next) => {
      await next();
      return next();
    };
    const chain = compose(
      [twice],
      () => new Response("ok"),
      (error) => new Response((error as Error).message, { status: 500 }),
    );
    const response = await run(chain);
    expect(response.status).toBe(500);
    expect(await response.text()).toMatch(/next\(\) called more than once/);
  });
});
