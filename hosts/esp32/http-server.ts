/*
 * The HTTP server on the device: the Moddable `http` module's Server (modules/network/http), whose callback receives the
 * request line, headers and body as messages, answering from HttpRoutes (hosts/esp32/http-routes.ts). Request bodies
 * are accepted only on /api/site and are limited to 16 KB. Response bodies go out as UTF-8 bytes with their byte length.
 */
import { Server } from "http";
import type { HttpRoutes } from "./http-routes";
import { utf8 } from "./utf8";

const MAX_BODY = 16384;

interface Exchange {
  method: string;
  path: string;
  authorization: string;
  body: string;
}

export function startHttpServer(routes: HttpRoutes, port: number): Server {
  const server = new Server({ port });
  const exchanges = new WeakMap<object, Exchange>();
  server.callback = function (this: object, message: number, value?: any, value2?: any) {
    let x = exchanges.get(this);
    if (x === undefined) {
      x = { method: "GET", path: "/", authorization: "", body: "" };
      exchanges.set(this, x);
    }
    switch (message) {
      case Server.status:
        x.path = String(value);
        x.method = String(value2);
        break;
      case Server.header:
        if (String(value).toLowerCase() === "authorization") x.authorization = String(value2);
        else if (String(value).toLowerCase() === "content-length" && Number(value2) > MAX_BODY) x.path = "/too-large";
        break;
      case Server.headersComplete:
        return x.path === "/api/site" ? String : undefined;
      case Server.requestComplete:
        if (typeof value === "string") x.body = value;
        break;
      case Server.prepareResponse: {
        const a = routes.handle(x.method, x.path, x.authorization, x.body);
        const body = utf8(a.body);
        return { status: a.status, headers: ["Content-Type", a.type, "Content-Length", String(body.byteLength), "Cache-Control", "no-store"], body };
      }
    }
    return undefined;
  } as never;
  return server;
}
