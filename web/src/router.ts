// Hash routes, so the server only has to serve index.html at "/".
//   #/login                 sign in / register
//   #/explore               browse and search circles
//   #/new                   create a circle
//   #/c/<conversation_id>   a conversation (circle chat or DM)
//   #/join/<circle_id>?invite=<token>   join a circle (the invite link)

export type Route =
  | { name: "login" }
  | { name: "home" }
  | { name: "explore" }
  | { name: "new" }
  | { name: "conversation"; id: string }
  | { name: "join"; circleId: string; invite: string | null };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, "");
  const [path, search = ""] = raw.split("?", 2);
  const parts = path.split("/").filter(Boolean).map(safeDecode);
  const params = new URLSearchParams(search);
  switch (parts[0]) {
    case "login":
      return { name: "login" };
    case "explore":
      return { name: "explore" };
    case "new":
      return { name: "new" };
    case "c":
      return parts[1] ? { name: "conversation", id: parts[1] } : { name: "home" };
    case "join":
      return parts[1]
        ? { name: "join", circleId: parts[1], invite: params.get("invite") }
        : { name: "home" };
    default:
      return { name: "home" };
  }
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function conversationHash(id: string): string {
  return `#/c/${encodeURIComponent(id)}`;
}

export function navigate(hash: string): void {
  if (window.location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else window.location.hash = hash;
}
